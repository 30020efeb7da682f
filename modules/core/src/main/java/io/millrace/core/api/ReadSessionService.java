package io.millrace.core.api;

/**
 * Optional capability of a {@link RecordService}: a reader for one streaming read session, so that
 * the service can tell session reads from unary ones (metering counts a session as one streaming
 * read operation, however many reads it makes). An edge without it reads through the service
 * itself.
 */
public interface ReadSessionService {
  /** The reader one read session on {@code (basin, stream)} uses for all its reads. */
  RecordService openReadSession(String basin, String stream);
}
