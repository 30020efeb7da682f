package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import org.junit.jupiter.api.Test;

class RequestFramingGuardTest {

  /** Feeds the text one byte at a time and returns what the guard hands on. */
  private static String byteByByte(RequestFramingGuard guard, String text) {
    ByteStringBuilder out = new ByteStringBuilder();
    for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
      guard.feed(ByteString.fromArray(new byte[] {b})).forEach(out::append);
    }
    return out.result().decodeString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void wellFramedRequestsPassUnchangedHoweverTheBytesArrive() {
    String requests =
        "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /b HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            + "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n"
            + "GET /c HTTP/1.1\nContent-Length: 0\n\n";
    RequestFramingGuard guard = new RequestFramingGuard();
    assertThat(byteByByte(guard, requests)).isEqualTo(requests);
    assertThat(guard.refused()).isFalse();
  }

  @Test
  void aBodyThatLooksLikeABadHeadIsNotJudged() {
    String body = "GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n";
    String request = "POST /a HTTP/1.1\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    RequestFramingGuard guard = new RequestFramingGuard();
    assertThat(byteByByte(guard, request)).isEqualTo(request);
    assertThat(guard.refused()).isFalse();
  }

  @Test
  void misreadableFramingIsReplacedByAnInvalidContentLengthAndTheRestDropped() {
    for (String framing :
        new String[] {
          "Content-Length: 18446744073709551617",
          "Content-Length: 1 2",
          "Content-Length: +5",
          "Content-Length: 1, 1",
          "Content-Length:",
          "Content-Length: 1\r\nContent-Length: 2",
          "Content-Length: 1\r\nTransfer-Encoding: chunked",
          "Transfer-Encoding: chunked, gzip",
        }) {
      RequestFramingGuard guard = new RequestFramingGuard();
      String out =
          byteByByte(
              guard,
              "POST /a HTTP/1.1\r\nHost: x\r\n"
                  + framing
                  + "\r\n\r\nXGET /smuggled HTTP/1.1\r\n\r\n");
      assertThat(out)
          .as(framing)
          .isEqualTo("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: invalid\r\n\r\n");
      assertThat(guard.refused()).isTrue();
    }
  }

  @Test
  void http2AndTlsConnectionsPassThrough() {
    String preface =
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0012Content-Length: 1 2\r\n\r\n";
    assertThat(byteByByte(new RequestFramingGuard(), preface)).isEqualTo(preface);
    String tls = "\u0016\u0003\u0001\u0002\u0000Content-Length: 1 2\r\n\r\n";
    assertThat(byteByByte(new RequestFramingGuard(), tls)).isEqualTo(tls);
  }

  @Test
  void contentLengthAcceptsOnlyPlainDigits() {
    assertThat(RequestFramingGuard.contentLength("0")).isZero();
    assertThat(RequestFramingGuard.contentLength("007")).isEqualTo(7);
    assertThat(RequestFramingGuard.contentLength("999999999999999999"))
        .isEqualTo(999_999_999_999_999_999L);
    for (String bad : new String[] {"", "-1", "+1", "1 2", "0x10", "1e3", "9223372036854775808"}) {
      assertThat(RequestFramingGuard.contentLength(bad)).as(bad).isEqualTo(-1);
    }
  }
}
