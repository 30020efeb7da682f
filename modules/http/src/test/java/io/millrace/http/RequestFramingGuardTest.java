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

  @Test
  void aFoldedHeaderLineIsRefused() {
    RequestFramingGuard guard = new RequestFramingGuard();
    String out =
        byteByByte(
            guard,
            "POST /a HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n Content-Length: 40\r\n\r\n"
                + "GET /smuggled HTTP/1.1\r\n\r\n");
    assertThat(out).startsWith("POST /a HTTP/1.1\r\n").endsWith("Content-Length: invalid\r\n\r\n");
    assertThat(out).doesNotContain("smuggled");
    assertThat(guard.refused()).isTrue();
  }

  @Test
  void chunkSizesWithLeadingZerosOrInnerSpacesKeepTheGuardJudgingLaterRequests() {
    String chunked =
        "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0000000000000005\r\nhello\r\n1 0\r\n0123456789abcdef\r\n0\r\n\r\n";
    RequestFramingGuard guard = new RequestFramingGuard();
    String out =
        byteByByte(
            guard, chunked + "POST /b HTTP/1.1\r\nContent-Length: 18446744073709551617\r\n\r\nX");
    assertThat(out).isEqualTo(chunked + "POST /b HTTP/1.1\r\nContent-Length: invalid\r\n\r\n");
    assertThat(guard.refused()).isTrue();
  }

  @Test
  void aHeadLongerThanTheLimitIsRefusedNotWaivedThrough() {
    RequestFramingGuard guard = new RequestFramingGuard();
    String line = "X-Filler: " + "a".repeat(100) + "\r\n";
    StringBuilder head = new StringBuilder("POST /a HTTP/1.1\r\n");
    while (head.length() <= RequestFramingGuard.MAX_HEAD_BYTES) {
      head.append(line);
    }
    ByteStringBuilder out = new ByteStringBuilder();
    byte[] bytes = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < bytes.length; i += 1000) {
      ByteString piece = ByteString.fromArray(bytes, i, Math.min(1000, bytes.length - i));
      guard.feed(piece).forEach(out::append);
    }
    guard.feed(ByteString.fromString("Content-Length: 1 2\r\n\r\nX")).forEach(out::append);
    assertThat(out.result().decodeString(StandardCharsets.ISO_8859_1))
        .isEqualTo("GET / HTTP/1.1\r\nContent-Length: invalid\r\n\r\n");
    assertThat(guard.refused()).isTrue();
  }

  @Test
  void aHeadArrivingInManySmallReadsPassesWhole() {
    RequestFramingGuard guard = new RequestFramingGuard();
    StringBuilder head = new StringBuilder("POST /a HTTP/1.1\r\n");
    for (int i = 0; i < 200; i++) {
      head.append("X-H").append(i).append(": v\r\n");
    }
    String request = head.append("Content-Length: 2\r\n\r\nok").toString();
    ByteStringBuilder out = new ByteStringBuilder();
    byte[] bytes = request.getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < bytes.length; i += 7) {
      guard
          .feed(ByteString.fromArray(bytes, i, Math.min(7, bytes.length - i)))
          .forEach(out::append);
    }
    assertThat(out.result().decodeString(StandardCharsets.ISO_8859_1)).isEqualTo(request);
    assertThat(guard.refused()).isFalse();
  }
}
