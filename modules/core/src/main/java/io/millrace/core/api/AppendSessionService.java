package io.millrace.core.api;

/**
 * Optional capability of a {@link RecordService}: pipelined append sessions whose batches keep
 * their order. A record service without it is driven one batch at a time by the edges.
 */
public interface AppendSessionService {
  /**
   * Opens a session on a stream. The stream is resolved at the first batch, so a missing stream (or
   * a missing {@code key} for an encrypted stream) fails that batch like a unary append would.
   * {@code key} is the session request's {@code s2-encryption-key}, null when it carried none; it
   * is held for the session's lifetime only.
   */
  AppendSession openAppendSession(String basin, String stream, EncryptionKey key);

  /** A session without an encryption key. */
  default AppendSession openAppendSession(String basin, String stream) {
    return openAppendSession(basin, stream, null);
  }
}
