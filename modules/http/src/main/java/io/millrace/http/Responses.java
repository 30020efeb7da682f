package io.millrace.http;

import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/** Builders for the few response shapes the edge sends. */
final class Responses {
  private Responses() {}

  /** The header carrying {@code created}/{@code updated}/{@code noop} on create and ensure. */
  static final String PROVISION_RESULT = "s2-provision-result";

  static StatusCode status(int code) {
    return StatusCodes.lookup(code)
        .orElseGet(() -> StatusCodes.custom(code, "Status " + code, "", code < 400, true));
  }

  /** A JSON body with {@code Content-Type: application/json}. */
  static HttpResponse json(int status, byte[] body) {
    return HttpResponse.create()
        .withStatus(status(status))
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, body));
  }

  static HttpResponse bytes(int status, ContentType contentType, byte[] body) {
    return HttpResponse.create()
        .withStatus(status(status))
        .withEntity(HttpEntities.create(contentType, body));
  }

  static HttpResponse text(int status, String body) {
    return HttpResponse.create()
        .withStatus(status(status))
        .withEntity(HttpEntities.create(ContentTypes.TEXT_PLAIN_UTF8, body));
  }

  /** No body (e.g. the 202 of a delete). */
  static HttpResponse empty(int status) {
    return HttpResponse.create().withStatus(status(status));
  }

  static HttpResponse withHeader(HttpResponse response, String name, String value) {
    return (HttpResponse) response.addHeader(RawHeader.create(name, value));
  }
}
