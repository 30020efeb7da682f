package io.millrace.http;

import com.github.luben.zstd.ZstdInputStream;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Reads request bodies with a size bound and decodes their {@code Content-Encoding} (gzip, zstd;
 * spec section 2.4). A body over the bound is drained (up to {@code maxDrainBytes} more) so that
 * the client can finish sending and read the 413 answer instead of seeing a reset.
 */
final class Bodies {
  private final long maxBytes;
  private final long maxDrainBytes;
  private final Materializer materializer;

  Bodies(EdgeSettings settings, Materializer materializer) {
    this.maxBytes = settings.maxRequestBodyBytes();
    this.maxDrainBytes = settings.maxDrainBytes();
    this.materializer = materializer;
  }

  /**
   * The raw (still encoded) body bytes, held under {@code lease} of the node's {@link BodyBudget};
   * fails with {@link RequestBodyTooLargeException} or {@link BodyBudget.OverBudgetException}.
   */
  CompletionStage<byte[]> read(HttpRequest request, BodyBudget.Lease lease) {
    HttpEntity entity = request.entity();
    if (entity instanceof HttpEntity.Strict strict) {
      ByteString data = strict.getData();
      if (data.size() > maxBytes) {
        return CompletableFuture.failedFuture(new RequestBodyTooLargeException(maxBytes));
      }
      try {
        lease.take(data.size());
      } catch (BodyBudget.OverBudgetException e) {
        return CompletableFuture.failedFuture(e);
      }
      return CompletableFuture.completedFuture(data.toArray());
    }
    long declared = entity.getContentLengthOption().orElse(-1L);
    if (declared > maxBytes && (expectsContinue(request) || declared > maxBytes + maxDrainBytes)) {
      // Not pulling the entity keeps Pekko from answering 100 Continue: the client that waits for
      // it never sends the body and reads the 413 instead. A body too large even to drain is not
      // waited for either; the connection is closed after the answer.
      return CompletableFuture.failedFuture(new RequestBodyTooLargeException(maxBytes));
    }
    if (declared > 0) {
      // Admission before a byte is read: over budget, the body is never pulled (no 100 Continue).
      try {
        lease.take(Math.min(declared, maxBytes));
      } catch (BodyBudget.OverBudgetException e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    return entity
        .withoutSizeLimit()
        .getDataBytes()
        .runWith(Sink.fold(new Accumulator(lease), Accumulator::add), materializer)
        .thenApply(
            acc -> {
              if (acc.total > maxBytes) {
                throw new RequestBodyTooLargeException(maxBytes);
              }
              return acc.builder.result().toArray();
            });
  }

  private static boolean expectsContinue(HttpRequest request) {
    return request
        .getHeader("expect")
        .map(h -> h.value().toLowerCase(Locale.ROOT).contains("100-continue"))
        .orElse(false);
  }

  /** Accumulates up to the bound, then only counts (drains) up to the drain allowance. */
  private final class Accumulator {
    final ByteStringBuilder builder = new ByteStringBuilder();
    final BodyBudget.Lease lease;
    long total;

    Accumulator(BodyBudget.Lease lease) {
      this.lease = lease;
    }

    Accumulator add(ByteString chunk) {
      total += chunk.size();
      if (total <= maxBytes) {
        lease.growTo(total);
        builder.append(chunk);
      } else if (total > maxBytes + maxDrainBytes) {
        // Stop reading: the connection is closed after the 413.
        throw new RequestBodyTooLargeException(maxBytes);
      }
      return this;
    }
  }

  /**
   * The body with its Content-Encoding undone. Undecodable data is 400 with {@code malformed}
   * (bad_json or bad_proto, after what the body should have been); an unknown encoding is 400
   * {@code bad_header}.
   */
  byte[] decode(HttpRequest request, byte[] raw, ErrorCode malformed) {
    String header = request.getHeader("content-encoding").map(h -> h.value()).orElse(null);
    if (header == null || header.isBlank()) {
      return raw;
    }
    String[] codings = header.split(",");
    byte[] data = raw;
    // Codings are listed in the order they were applied; undo them last to first.
    for (int i = codings.length - 1; i >= 0; i--) {
      String coding = codings[i].trim().toLowerCase(Locale.ROOT);
      switch (coding) {
        case "identity", "" -> {}
        case "gzip", "x-gzip" -> data = inflate(data, true, malformed);
        case "zstd" -> data = inflate(data, false, malformed);
        default ->
            throw new S2Exception(
                ErrorCode.BAD_HEADER,
                "unsupported Content-Encoding '" + coding + "': expected gzip or zstd");
      }
    }
    return data;
  }

  private byte[] inflate(byte[] data, boolean gzip, ErrorCode malformed) {
    if (data.length == 0) {
      return data;
    }
    try (InputStream in =
        gzip
            ? new GZIPInputStream(new ByteArrayInputStream(data))
            : new ZstdInputStream(new ByteArrayInputStream(data))) {
      return Compressed.readAtMost(
          in,
          maxBytes,
          Math.max(64, data.length * 2),
          () -> new RequestBodyTooLargeException(maxBytes));
    } catch (IOException | RuntimeException e) {
      if (e instanceof RequestBodyTooLargeException tooLarge) {
        throw tooLarge;
      }
      throw new S2Exception(
          malformed,
          "request body is not valid " + (gzip ? "gzip" : "zstd") + " data: " + e.getMessage());
    }
  }
}
