package io.millrace.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ByteWriterTest {

  @Test
  void utf8LengthIsTheLengthOfTheUtf8Encoding() {
    for (String s :
        List.of("", "ascii-id", "é", "流れ", "a\uD83D\uDE00b", "mixé流\uD83D\uDE00", "\u07FF\u0800")) {
      assertThat(ByteWriter.utf8Length(s))
          .as(s)
          .isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }
  }

  @Test
  void bytesAreTheSameWhetherTheWriterWasSizedExactlyOrNot() {
    ByteWriter exact = new ByteWriter(20);
    ByteWriter larger = new ByteWriter(64);
    for (ByteWriter w : List.of(exact, larger)) {
      w.i64(0x0102030405060708L);
      w.i32(-1);
      w.i64(42);
    }

    byte[] fromExact = exact.toByteArray();

    assertThat(fromExact).hasSize(20).isEqualTo(larger.toByteArray());
    assertThat(fromExact).startsWith(1, 2, 3, 4, 5, 6, 7, 8, -1, -1, -1, -1);
  }
}
