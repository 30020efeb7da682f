package io.millrace.grpc;

import io.millrace.core.S2Exception;
import java.util.List;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.util.ByteString;

/**
 * Bounds the gRPC messages a client sends. A gRPC message on the wire is a 5-byte prefix (a
 * compressed flag and a big-endian 32-bit length) and the message; the guard follows the prefixes
 * in the request body as it streams past, without holding any of it, and fails the body (422 {@code
 * invalid}, INVALID_ARGUMENT) as soon as a prefix announces a message larger than the limit, before
 * the message is buffered by the gRPC decoder. The request body itself is otherwise unbounded (an
 * append session may run for ever).
 */
final class MessageSizeGuard {
  private final int maxMessageBytes;

  MessageSizeGuard(int maxMessageBytes) {
    this.maxMessageBytes = maxMessageBytes;
  }

  HttpRequest apply(HttpRequest request) {
    var entity = request.entity();
    return request.withEntity(
        HttpEntities.create(
            entity.getContentType(), entity.withoutSizeLimit().getDataBytes().via(flow())));
  }

  Flow<ByteString, ByteString, NotUsed> flow() {
    return Flow.<ByteString>create()
        .statefulMapConcat(
            () -> {
              Scanner scanner = new Scanner(maxMessageBytes);
              return chunk -> {
                scanner.scan(chunk);
                return List.of(chunk);
              };
            });
  }

  /** Follows message prefixes across chunks. */
  static final class Scanner {
    private final int max;
    private final byte[] prefix = new byte[5];
    private int prefixFilled;
    private long bodyLeft;

    Scanner(int max) {
      this.max = max;
    }

    void scan(ByteString chunk) {
      int i = 0;
      int n = chunk.size();
      while (i < n) {
        if (bodyLeft > 0) {
          long take = Math.min(bodyLeft, n - i);
          bodyLeft -= take;
          i += (int) take;
          continue;
        }
        prefix[prefixFilled++] = chunk.apply(i++);
        if (prefixFilled == 5) {
          prefixFilled = 0;
          long length =
              ((prefix[1] & 0xFFL) << 24)
                  | ((prefix[2] & 0xFFL) << 16)
                  | ((prefix[3] & 0xFFL) << 8)
                  | (prefix[4] & 0xFFL);
          if (length > max) {
            throw S2Exception.invalid(
                "gRPC message of " + length + " bytes exceeds the limit of " + max + " bytes");
          }
          bodyLeft = length;
        }
      }
    }
  }
}
