package io.millrace.http;

import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.MediaTypes;

/**
 * Content negotiation (spec section 2.3): only the first media type of {@code Content-Type} and
 * {@code Accept} counts, parameters are ignored, {@code application/*+json} is JSON.
 */
final class Media {
  private Media() {}

  /** What a media type means to the S2 API. */
  enum Kind {
    JSON,
    PROTOBUF,
    EVENT_STREAM,
    S2S,
    OTHER,
    NONE
  }

  static final MediaType.Binary PROTOBUF_MEDIA = MediaTypes.applicationBinary("protobuf", false);
  static final MediaType.Binary X_PROTOBUF_MEDIA =
      MediaTypes.applicationBinary("x-protobuf", false);
  static final ContentType PROTOBUF = ContentTypes.create(PROTOBUF_MEDIA);
  static final ContentType X_PROTOBUF = ContentTypes.create(X_PROTOBUF_MEDIA);

  /** Classifies one media type such as {@code application/json; charset=utf-8}. */
  static Kind classify(String mediaType) {
    if (mediaType == null) {
      return Kind.NONE;
    }
    String m = mediaType;
    int semi = m.indexOf(';');
    if (semi >= 0) {
      m = m.substring(0, semi);
    }
    m = m.trim().toLowerCase(Locale.ROOT);
    if (m.isEmpty()) {
      return Kind.NONE;
    }
    if (m.equals("application/json") || (m.startsWith("application/") && m.endsWith("+json"))) {
      return Kind.JSON;
    }
    if (m.equals("application/protobuf") || m.equals("application/x-protobuf")) {
      return Kind.PROTOBUF;
    }
    if (m.equals("text/event-stream")) {
      return Kind.EVENT_STREAM;
    }
    if (m.equals("s2s/proto")) {
      return Kind.S2S;
    }
    return Kind.OTHER;
  }

  /** The first element of a comma-separated header value, or null. */
  static String first(String headerValue) {
    if (headerValue == null) {
      return null;
    }
    int comma = headerValue.indexOf(',');
    String first = comma < 0 ? headerValue : headerValue.substring(0, comma);
    first = first.trim();
    return first.isEmpty() ? null : first;
  }

  /** The request's Content-Type media type (first one only), or null when there is none. */
  static String contentType(HttpRequest request) {
    ContentType ct = request.entity().getContentType();
    if (ct != null && !ct.equals(ContentTypes.NO_CONTENT_TYPE)) {
      return ct.mediaType().toString();
    }
    // A Content-Type Pekko could not model (e.g. a list) stays a raw header.
    Optional<HttpHeader> raw = request.getHeader("content-type");
    return raw.map(h -> first(h.value())).orElse(null);
  }

  static Kind contentKind(HttpRequest request) {
    return classify(contentType(request));
  }

  /** The first media type of the first Accept header, or null. */
  static String accept(HttpRequest request) {
    return request.getHeader("accept").map(h -> first(h.value())).orElse(null);
  }

  static Kind acceptKind(HttpRequest request) {
    return classify(accept(request));
  }

  /** The protobuf content type to answer with: the one the client asked for first. */
  static ContentType protobufResponseType(HttpRequest request) {
    String a = accept(request);
    return a != null && a.toLowerCase(Locale.ROOT).startsWith("application/x-protobuf")
        ? X_PROTOBUF
        : PROTOBUF;
  }
}
