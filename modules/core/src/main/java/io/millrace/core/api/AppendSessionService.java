package io.millrace.core.api;

/**
 * Optional capability of a {@link RecordService}: pipelined append sessions whose batches keep
 * their order. A record service without it is driven one batch at a time by the edges.
 */
public interface AppendSessionService {
  /**
   * Opens a session on a stream. The stream is resolved at the first batch, so a missing stream
   * fails that batch like a unary append would.
   */
  AppendSession openAppendSession(String basin, String stream);
}
