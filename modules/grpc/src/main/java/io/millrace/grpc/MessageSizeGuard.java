package io.millrace.grpc;

import io.millrace.core.S2Exception;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
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
    return Flow.fromGraph(new Stage(maxMessageBytes));
  }

  /**
   * Passes the body through while scanning it. On an oversized message it fails only its output (so
   * the call ends with INVALID_ARGUMENT) and goes on reading and discarding the rest of the body,
   * up to {@link #DRAIN_FACTOR} times the limit: cancelling the body instead would reset the HTTP/2
   * stream before the client sees the status. The same holds when the gRPC handler stops reading
   * the body early.
   */
  static final class Stage extends GraphStage<FlowShape<ByteString, ByteString>> {
    private final Inlet<ByteString> in = Inlet.create("MessageSizeGuard.in");
    private final Outlet<ByteString> out = Outlet.create("MessageSizeGuard.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final int max;

    Stage(int max) {
      this.max = max;
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      Scanner scanner = new Scanner(max);
      long drainLimit = (long) max * DRAIN_FACTOR;
      return new GraphStageLogic(shape) {
        private boolean draining;
        private long drained;

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  ByteString chunk = grab(in);
                  if (draining) {
                    drain(chunk.size());
                    return;
                  }
                  try {
                    scanner.scan(chunk);
                  } catch (S2Exception e) {
                    fail(out, e);
                    draining = true;
                    drain(0);
                    return;
                  }
                  push(out, chunk);
                }

                @Override
                public void onUpstreamFinish() {
                  completeStage();
                }
              });
          setHandler(
              out,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(in);
                }

                @Override
                public void onDownstreamFinish(Throwable cause) {
                  if (!draining) {
                    draining = true;
                    drain(0);
                  }
                }
              });
        }

        private void drain(int bytes) {
          drained += bytes;
          if (drained > drainLimit) {
            cancel(in);
            completeStage();
          } else if (!hasBeenPulled(in) && !isClosed(in)) {
            pull(in);
          }
        }
      };
    }
  }

  /** How much of a refused body is read and discarded, in multiples of the message limit. */
  static final int DRAIN_FACTOR = 8;

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
