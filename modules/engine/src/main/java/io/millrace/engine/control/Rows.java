package io.millrace.engine.control;

import io.millrace.core.Limits;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.StreamCipher;
import io.millrace.core.config.StreamConfig;
import io.millrace.metadata.BasinRecord;
import io.millrace.metadata.StreamRecord;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * Metadata rows as the control plane changes and shows them: the next version of a row (marked
 * deleted, new config), the API views of rows, and list pages.
 */
final class Rows {
  private Rows() {}

  /** The next version of a stream row, marked deleted at {@code at}. */
  static StreamRecord markDeleted(StreamRecord s, Instant at) {
    return new StreamRecord(
        s.basin(),
        s.name(),
        s.streamId(),
        s.config(),
        s.createdAt(),
        at,
        s.createToken(),
        s.cipher(),
        s.version() + 1);
  }

  /** The next version of a basin row, marked deleted at {@code at}. */
  static BasinRecord markDeleted(BasinRecord b, Instant at) {
    return new BasinRecord(
        b.name(), b.config(), b.createdAt(), at, b.createToken(), b.version() + 1, b.location());
  }

  /** The next version of a stream row, with {@code config}. */
  static StreamRecord withConfig(StreamRecord s, StreamConfig config) {
    return new StreamRecord(
        s.basin(),
        s.name(),
        s.streamId(),
        config,
        s.createdAt(),
        s.deletedAt(),
        s.createToken(),
        s.cipher(),
        s.version() + 1);
  }

  /** The next version of a basin row, with {@code config}. */
  static BasinRecord withConfig(BasinRecord b, BasinConfig config) {
    return new BasinRecord(
        b.name(),
        config,
        b.createdAt(),
        b.deletedAt(),
        b.createToken(),
        b.version() + 1,
        b.location());
  }

  /** A request token as rows store it: an empty one is none. */
  static String requestToken(String token) {
    return token == null || token.isEmpty() ? null : token;
  }

  static BasinInfo basinInfo(BasinRecord row) {
    return new BasinInfo(row.name(), row.location(), row.createdAt(), row.deletedAt());
  }

  /**
   * A stream as listed and created: its cipher only when its records are sealed with it (a row
   * written before encryption was applied reports none, docs/metadata.md).
   */
  static StreamInfo streamInfo(StreamRecord row) {
    StreamCipher cipher = StreamCipher.ofStored(row.cipher());
    return new StreamInfo(
        row.name(), row.createdAt(), row.deletedAt(), cipher == null ? null : cipher.wireName());
  }

  /** List limit as s2-lite treats it: 0 (or less) and more than 1000 mean 1000. */
  static int coerceLimit(int limit) {
    return limit <= 0 || limit > Limits.MAX_LIST_LIMIT ? Limits.MAX_LIST_LIMIT : limit;
  }

  /**
   * A page of at most {@code limit} of {@code rows}, fetched with {@code limit + 1} to see more.
   */
  static <R, T> ListPage<T> page(List<R> rows, int limit, Function<R, T> map) {
    boolean hasMore = rows.size() > limit;
    List<R> shown = hasMore ? rows.subList(0, limit) : rows;
    return new ListPage<>(shown.stream().map(map).toList(), hasMore);
  }
}
