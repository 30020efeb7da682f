package io.millrace.core.record;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.S2Exception;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class AppendValidationTest {
  private static AppendInput batch(List<AppendRecord> records) {
    return new AppendInput(records, null, null);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void anEmptyBatchIsInvalid() {
    assertThatThrownBy(() -> AppendValidation.validate(batch(List.of())))
        .isInstanceOf(S2Exception.class)
        .hasMessageContaining("at least one record");
  }

  @Test
  void aThousandRecordsAreAllowedButNotOneMore() {
    List<AppendRecord> records =
        new ArrayList<>(Collections.nCopies(1000, AppendRecord.of(new byte[0])));
    assertThatCode(() -> AppendValidation.validate(batch(records))).doesNotThrowAnyException();
    records.add(AppendRecord.of(new byte[0]));
    assertThatThrownBy(() -> AppendValidation.validate(batch(records)))
        .hasMessageContaining("at most 1000");
  }

  @Test
  void aBatchOfExactlyOneMebibyteMeteredIsAllowedButNotOneByteMore() {
    byte[] body = new byte[1024 * 1024 - 8];
    assertThatCode(() -> AppendValidation.validate(batch(List.of(AppendRecord.of(body)))))
        .doesNotThrowAnyException();
    byte[] tooBig = new byte[1024 * 1024 - 7];
    assertThatThrownBy(() -> AppendValidation.validate(batch(List.of(AppendRecord.of(tooBig)))))
        .hasMessageContaining("exceeds 1 MiB");
    byte[] half = new byte[512 * 1024];
    assertThatThrownBy(
            () ->
                AppendValidation.validate(
                    batch(List.of(AppendRecord.of(half), AppendRecord.of(half)))))
        .hasMessageContaining("batch metered size");
  }

  @Test
  void commandRecordsMustBeFenceOrTrimAndStandAlone() {
    assertThatCode(() -> AppendValidation.validate(batch(List.of(CommandRecords.fence("tok")))))
        .doesNotThrowAnyException();
    assertThatCode(() -> AppendValidation.validate(batch(List.of(CommandRecords.trim(5)))))
        .doesNotThrowAnyException();
    AppendRecord unknown =
        new AppendRecord(null, List.of(new Header(new byte[0], bytes("explode"))), new byte[0]);
    assertThatThrownBy(() -> AppendValidation.validate(batch(List.of(unknown))))
        .hasMessageContaining("unknown command");
    AppendRecord mixed =
        new AppendRecord(
            null,
            List.of(new Header(new byte[0], bytes("fence")), new Header(bytes("k"), bytes("v"))),
            new byte[0]);
    assertThatThrownBy(() -> AppendValidation.validate(batch(List.of(mixed))))
        .hasMessageContaining("header name must not be empty");
    AppendRecord shortTrim =
        new AppendRecord(null, List.of(new Header(new byte[0], bytes("trim"))), new byte[3]);
    assertThatThrownBy(() -> AppendValidation.validate(batch(List.of(shortTrim))))
        .hasMessageContaining("8 bytes");
  }

  @Test
  void fencingTokensLongerThan36BytesAreInvalid() {
    assertThatThrownBy(
            () ->
                AppendValidation.validate(
                    new AppendInput(List.of(AppendRecord.of(new byte[1])), null, "x".repeat(37))))
        .hasMessageContaining("36 bytes");
    assertThatThrownBy(
            () -> AppendValidation.validate(batch(List.of(CommandRecords.fence("y".repeat(37))))))
        .hasMessageContaining("36 bytes");
  }

  @Test
  void meteredSizeCountsEightBytesPlusTwoPerHeaderPlusAllBytes() {
    AppendRecord r =
        new AppendRecord(null, List.of(new Header(bytes("ab"), bytes("cde"))), bytes("hello"));
    org.assertj.core.api.Assertions.assertThat(r.meteredSize()).isEqualTo(8 + 2 + 2 + 3 + 5);
  }
}
