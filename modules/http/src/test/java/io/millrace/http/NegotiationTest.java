package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.S2Exception;
import io.millrace.http.Media.Kind;
import io.millrace.http.ResponseCompression.Coding;
import org.junit.jupiter.api.Test;

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

  @Test
  void zstdIsPreferredOverGzipAndZeroQualityRefuses() {
    assertThat(ResponseCompression.choose(null)).isEqualTo(Coding.IDENTITY);
    assertThat(ResponseCompression.choose("gzip")).isEqualTo(Coding.GZIP);
    assertThat(ResponseCompression.choose("gzip, deflate, br, zstd")).isEqualTo(Coding.ZSTD);
    assertThat(ResponseCompression.choose("zstd;q=0, gzip;q=0.5")).isEqualTo(Coding.GZIP);
    assertThat(ResponseCompression.choose("br, deflate")).isEqualTo(Coding.IDENTITY);
    assertThat(ResponseCompression.choose("identity")).isEqualTo(Coding.IDENTITY);
  }

  @Test
  void recordFormatsAndTheirAliases() {
    assertThat(RecordFormat.fromHeader(null)).isEqualTo(RecordFormat.RAW);
    assertThat(RecordFormat.fromHeader("raw")).isEqualTo(RecordFormat.RAW);
    assertThat(RecordFormat.fromHeader("json")).isEqualTo(RecordFormat.RAW);
    assertThat(RecordFormat.fromHeader("base64")).isEqualTo(RecordFormat.BASE64);
    assertThat(RecordFormat.fromHeader("json-binsafe")).isEqualTo(RecordFormat.BASE64);
    assertThatThrownBy(() -> RecordFormat.fromHeader("utf8"))
        .isInstanceOf(S2Exception.class)
        .hasMessageContaining("s2-format");
    assertThat(RecordFormat.RAW.encode(new byte[] {'a', (byte) 0xc3})).isEqualTo("a\uFFFD");
    assertThat(RecordFormat.BASE64.encode(new byte[] {1})).isEqualTo("AQ==");
  }
}
