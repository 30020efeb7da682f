package io.millrace.http;

import com.github.luben.zstd.Zstd;
import java.util.Locale;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.ResponseEntity;

/**
 * Compresses response bodies larger than a threshold per the request's {@code Accept-Encoding}:
 * zstd when offered, else gzip, else none (spec section 2.4). Streaming responses (SSE, S2S) and
 * already encoded responses are left alone.
 */
final class ResponseCompression {
  enum Coding {
    ZSTD("zstd"),
    GZIP("gzip"),
    IDENTITY("identity");

    final String wire;

    Coding(String wire) {
      this.wire = wire;
    }
  }

  private final int minBytes;

  ResponseCompression(int minBytes) {
    this.minBytes = minBytes;
  }

  /** The coding the client prefers among those we offer. */
  static Coding choose(String acceptEncoding) {
    if (acceptEncoding == null) {
      return Coding.IDENTITY;
    }
    boolean zstd = false;
    boolean gzip = false;
    for (String part : acceptEncoding.split(",")) {
      String[] pieces = part.split(";");
      String name = pieces[0].trim().toLowerCase(Locale.ROOT);
      if (qualityIsZero(pieces)) {
        continue;
      }
      if (name.equals("zstd")) {
        zstd = true;
      } else if (name.equals("gzip") || name.equals("x-gzip")) {
        gzip = true;
      }
    }
    return zstd ? Coding.ZSTD : gzip ? Coding.GZIP : Coding.IDENTITY;
  }

  private static boolean qualityIsZero(String[] pieces) {
    for (int i = 1; i < pieces.length; i++) {
      String p = pieces[i].trim().toLowerCase(Locale.ROOT);
      if (p.startsWith("q=")) {
        try {
          return Double.parseDouble(p.substring(2).trim()) <= 0.0;
        } catch (NumberFormatException e) {
          return false;
        }
      }
    }
    return false;
  }

  HttpResponse apply(HttpRequest request, HttpResponse response) {
    ResponseEntity entity = response.entity();
    if (!(entity instanceof HttpEntity.Strict strict)) {
      return response;
    }
    if (response.getHeader("content-encoding").isPresent()) {
      return response;
    }
    Media.Kind kind = Media.classify(entity.getContentType().mediaType().toString());
    if (kind == Media.Kind.EVENT_STREAM || kind == Media.Kind.S2S) {
      return response;
    }
    int length = strict.getData().size();
    if (length <= minBytes) {
      return response;
    }
    Coding coding = choose(request.getHeader("accept-encoding").map(h -> h.value()).orElse(null));
    if (coding == Coding.IDENTITY) {
      return response;
    }
    byte[] plain = strict.getData().toArray();
    byte[] encoded = coding == Coding.ZSTD ? Zstd.compress(plain, 3) : Compressed.gzip(plain);
    HttpResponse r = response.withEntity(HttpEntities.create(entity.getContentType(), encoded));
    r = Responses.withHeader(r, "Content-Encoding", coding.wire);
    return Responses.withHeader(r, "Vary", "Accept-Encoding");
  }
}
