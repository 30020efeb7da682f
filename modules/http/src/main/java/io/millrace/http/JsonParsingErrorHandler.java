package io.millrace.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests Pekko cannot even parse (bad request line, malformed header, URI too long) with
 * a JSON error body like every other error, via {@link ErrorMapper#unparsableRequest}. Installed by
 * {@link S2HttpServer} as {@code pekko.http.server.parsing.error-handler}.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  /** Instantiated by Pekko from its class name. */
  public JsonParsingErrorHandler() {}

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug("Unparsable request answered {}: {}", status.intValue(), info.formatPretty());
    return ErrorMapper.unparsableRequest(status.intValue(), info.summary());
  }
}
