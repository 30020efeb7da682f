package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.S2Exception;
import io.millrace.http.Media.Kind;
import io.millrace.http.ResponseCompression.Coding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NegotiationTest {

  @Test
  void mediaTypesAreClassifiedByTheirFirstEntryIgnoringParameters() {
    assertThat(Media.classify("application/json")).isEqualTo(Kind.JSON);
    assertThat(Media.classify("Application/JSON; charset=utf-8")).isEqualTo(Kind.JSON);
    assertThat(Media.classify("application/problem+json")).isEqualTo(Kind.JSON);
    assertThat(Media.classify("application/protobuf")).isEqualTo(Kind.PROTOBUF);
    assertThat(Media.classify("application/x-protobuf; proto=s2.v1.AppendInput"))
        .isEqualTo(Kind.PROTOBUF);
    assertThat(Media.classify("text/event-stream")).isEqualTo(Kind.EVENT_STREAM);
    assertThat(Media.classify("s2s/proto")).isEqualTo(Kind.S2S);
    assertThat(Media.classify("text/json")).isEqualTo(Kind.OTHER);
    assertThat(Media.classify("")).isEqualTo(Kind.NONE);
    assertThat(Media.classify(null)).isEqualTo(Kind.NONE);
    assertThat(Media.classify(Media.first("application/protobuf, application/json")))
        .isEqualTo(Kind.PROTOBUF);
    assertThat(Media.classify(Media.first(" application/json ,application/protobuf")))
        .isEqualTo(Kind.JSON);
  }

  @ParameterizedTest(name = "Accept-Encoding {0} is {1}")
  @CsvSource(
      nullValues = "-",
      value = {
        "-,                        IDENTITY",
        "gzip,                     GZIP",
        "'gzip, deflate, br, zstd', ZSTD",
        "'zstd;q=0, gzip;q=0.5',   GZIP",
        "'br, deflate',            IDENTITY",
        "identity,                 IDENTITY",
      })
  void zstdIsPreferredOverGzipAndZeroQualityRefuses(String acceptEncoding, Coding coding) {
    assertThat(ResponseCompression.choose(acceptEncoding)).isEqualTo(coding);
  }

  @ParameterizedTest(name = "s2-format {0} is {1}")
  @CsvSource(
      nullValues = "-",
      value = {"-, RAW", "raw, RAW", "json, RAW", "base64, BASE64", "json-binsafe, BASE64"})
  void recordFormatsAndTheirAliases(String header, RecordFormat format) {
    assertThat(RecordFormat.fromHeader(header)).isEqualTo(format);
  }

  @Test
  void anUnknownRecordFormatIsRefusedAndEachFormatEncodesBytes() {
    assertThatThrownBy(() -> RecordFormat.fromHeader("utf8"))
        .isInstanceOf(S2Exception.class)
        .hasMessageContaining("s2-format");
    assertThat(RecordFormat.RAW.encode(new byte[] {'a', (byte) 0xc3})).isEqualTo("a\uFFFD");
    assertThat(RecordFormat.BASE64.encode(new byte[] {1})).isEqualTo("AQ==");
  }
}
