package io.millrace.core.record;

import io.millrace.core.Limits;
import io.millrace.core.S2Exception;
import java.nio.charset.StandardCharsets;

/** Stateless validation of an append batch (spec section 6.1 step 1); throws 422 invalid. */
public final class AppendValidation {
  private AppendValidation() {}

  public static void validate(AppendInput input) {
    int n = input.records().size();
    if (n == 0) {
      throw S2Exception.invalid("append batch must contain at least one record");
    }
    if (n > Limits.MAX_BATCH_RECORDS) {
      throw S2Exception.invalid("append batch must contain at most 1000 records, got " + n);
    }
    long total = 0;
    for (AppendRecord r : input.records()) {
      long size = r.meteredSize();
      if (size > Limits.MAX_BATCH_METERED_BYTES) {
        throw S2Exception.invalid("record metered size " + size + " exceeds 1 MiB");
      }
      total += size;
      CommandRecords.validateHeaders(r.headers(), r.body());
    }
    if (total > Limits.MAX_BATCH_METERED_BYTES) {
      throw S2Exception.invalid("append batch metered size " + total + " exceeds 1 MiB");
    }
    if (input.fencingToken() != null
        && input.fencingToken().getBytes(StandardCharsets.UTF_8).length
            > Limits.MAX_FENCING_TOKEN_BYTES) {
      throw S2Exception.invalid("fencing token must be at most 36 bytes");
    }
  }
}
