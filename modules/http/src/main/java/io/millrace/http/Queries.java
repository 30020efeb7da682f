package io.millrace.http;

import io.millrace.core.Limits;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.session.ReadSession;

/** Query parameters of list calls and unary reads, turned into service requests. */
final class Queries {
  private Queries() {}

  /**
   * {@code prefix}, {@code start_after}, {@code limit} of a basin or stream list; invalid filters
   * are 400 {@code bad_query}; a limit of 0 or above 1000 becomes 1000.
   */
  static ListRequest listRequest(QueryParams q, boolean basins) {
    String prefix = q.string("prefix");
    String startAfter = q.string("start_after");
    Long limit = q.u64("limit");
    String problem =
        basins
            ? firstProblem(
                Names.basinFilterProblem(prefix, "prefix"),
                Names.basinFilterProblem(startAfter, "start_after"))
            : firstProblem(
                Names.streamFilterProblem(prefix, "prefix"),
                Names.streamFilterProblem(startAfter, "start_after"));
    if (problem != null) {
      throw QueryParams.badQuery(problem);
    }
    int effective =
        limit == null || limit == 0 || limit > Limits.MAX_LIST_LIMIT
            ? Limits.MAX_LIST_LIMIT
            : limit.intValue();
    return new ListRequest(prefix, startAfter, effective);
  }

  /**
   * The parameters of a unary read (spec section 6.2). Unparsable values are 400 {@code bad_query};
   * more than one start, or a timestamp start with {@code until <= timestamp}, is 422 {@code
   * invalid}. {@code count} and {@code bytes} are always set, capped at 1000 records and 1 MiB (a
   * unary read is always bounded); {@code wait} is capped at 60 s and null when absent.
   */
  static ReadRequest unaryReadRequest(QueryParams q) {
    ReadParams p = readParams(q);
    long cappedCount =
        p.count() == null
            ? Limits.MAX_BATCH_RECORDS
            : Math.min(p.count(), Limits.MAX_BATCH_RECORDS);
    long cappedBytes =
        p.bytes() == null
            ? Limits.MAX_BATCH_METERED_BYTES
            : Math.min(p.bytes(), Limits.MAX_BATCH_METERED_BYTES);
    Integer cappedWait =
        p.waitSecs() == null ? null : (int) Math.min(p.waitSecs(), Limits.MAX_UNARY_WAIT_SECS);
    return new ReadRequest(p.start(), p.clamp(), cappedCount, cappedBytes, p.until(), cappedWait);
  }

  /**
   * The parameters of a streaming read session (spec section 6.2): the same checks as a unary read,
   * but limits apply to the whole session and are not capped, and {@code wait} is not capped.
   */
  static ReadSession.Params sessionReadParams(QueryParams q) {
    ReadParams p = readParams(q);
    return new ReadSession.Params(
        p.start(), p.clamp(), p.count(), p.bytes(), p.until(), p.waitSecs());
  }

  /** The read parameters as given, uncapped; {@code wait} is null when absent. */
  private record ReadParams(
      ReadStart start, boolean clamp, Long count, Long bytes, Long until, Long waitSecs) {}

  /**
   * Parses every read parameter (400 {@code bad_query}) before checking them together (422 {@code
   * invalid}): at most one start; none is a tail offset of 0.
   */
  private static ReadParams readParams(QueryParams q) {
    Long seqNum = q.u64("seq_num");
    Long timestamp = q.u64("timestamp");
    Long tailOffset = q.u64("tail_offset");
    Boolean clamp = q.bool("clamp");
    Long count = q.u64("count");
    Long bytes = q.u64("bytes");
    Long until = q.u64("until");
    Long wait = q.u32("wait");
    int starts =
        (seqNum != null ? 1 : 0) + (timestamp != null ? 1 : 0) + (tailOffset != null ? 1 : 0);
    if (starts > 1) {
      throw S2Exception.invalid("at most one of seq_num, timestamp and tail_offset may be given");
    }
    ReadStart start;
    if (seqNum != null) {
      start = new ReadStart.SeqNum(seqNum);
    } else if (timestamp != null) {
      start = new ReadStart.Timestamp(timestamp);
      if (until != null && until <= timestamp) {
        throw S2Exception.invalid(
            "until (" + until + ") must be greater than the start timestamp (" + timestamp + ")");
      }
    } else {
      start = new ReadStart.TailOffset(tailOffset == null ? 0 : tailOffset);
    }
    return new ReadParams(start, clamp != null && clamp, count, bytes, until, wait);
  }

  private static String firstProblem(String a, String b) {
    return a != null ? a : b;
  }
}
