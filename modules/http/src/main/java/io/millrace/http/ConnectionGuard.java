package io.millrace.http;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.scaladsl.Tcp;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards every connection the S2 port accepts (issue 14, fault 2: about 1,024 idle or slow-header
 * connections made the server unreachable). Installed by {@link RequestFramingGuard.Telemetry} on
 * Pekko's connection hook, next to the framing guard:
 *
 * <ul>
 *   <li><b>Per-IP fairness</b>: one client IP holds at most {@code max-connections-per-ip} open
 *       connections; a further one is closed at once, so one client cannot take the whole {@code
 *       max-connections} (which Pekko applies to the port).
 *   <li><b>Header-read timeout</b>: a connection must complete its first request head within {@code
 *       header-timeout} of opening, and any later head within {@code header-timeout} of its first
 *       byte; otherwise it is closed (slow-header attacks hold a connection for free).
 *   <li><b>Idle without a request</b>: an HTTP/1.1 connection whose requests have all been answered
 *       (as many response heads sent as request heads received) and that has seen no traffic for
 *       {@code idle-timeout-without-request} is closed. A connection with a request in flight (a
 *       read waiting at the tail, a session) keeps Pekko's longer {@code idle-timeout}.
 * </ul>
 *
 * HTTP/2 and TLS connections are not judged by the two timeouts (the byte guard sees no HTTP/1.1
 * heads on them); Pekko's {@code idle-timeout} still applies, and per-IP limits apply to all.
 */
final class ConnectionGuard {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

  private final AdmissionSettings settings;
  private final Materializer materializer;
  private final ConcurrentMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

  ConnectionGuard(AdmissionSettings settings, Materializer materializer) {
    this.settings = settings;
    this.materializer = materializer;
  }

  /**
   * The connection Pekko will serve in place of {@code c}: guarded and counted, or, when its IP
   * holds too many already, one that is closed at once.
   */
  Tcp.IncomingConnection admit(Tcp.IncomingConnection c) {
    InetAddress ip =
        c.remoteAddress() == null
            ? InetAddress.getLoopbackAddress()
            : c.remoteAddress().getAddress();
    AtomicInteger count = perIp.computeIfAbsent(ip, k -> new AtomicInteger());
    if (count.incrementAndGet() > settings.maxConnectionsPerIp()) {
      release(ip, count);
      log.warn(
          "Closing a new connection from {}: it already holds {} connections"
              + " (millrace.http.admission.max-connections-per-ip).",
          ip.getHostAddress(),
          settings.maxConnectionsPerIp());
      // Materialize the socket's flow ourselves and end it: the connection is closed.
      Source.<ByteString>empty().via(c.flow()).runWith(Sink.cancelled(), materializer);
      Flow<ByteString, ByteString, NotUsed> closed =
          Flow.fromSinkAndSourceCoupled(Sink.<ByteString>ignore(), Source.<ByteString>empty());
      return new Tcp.IncomingConnection(c.localAddress(), c.remoteAddress(), closed.asScala());
    }
    Activity activity = new Activity();
    Flow<ByteString, ByteString, NotUsed> guarded =
        Flow.of(ByteString.class)
            .map(
                b -> {
                  activity.sawOutbound(b);
                  return b;
                })
            .via(Flow.fromGraph(c.flow()))
            .via(new Inbound(activity, settings))
            .watchTermination(
                (mat, done) -> {
                  done.whenComplete(
                      (d, t) -> {
                        release(ip, count);
                      });
                  return NotUsed.getInstance();
                });
    return new Tcp.IncomingConnection(c.localAddress(), c.remoteAddress(), guarded.asScala());
  }

  private void release(InetAddress ip, AtomicInteger count) {
    if (count.decrementAndGet() <= 0) {
      perIp.remove(ip, count);
    }
  }

  /** What the outbound side of a connection tells the inbound side: traffic and response heads. */
  static final class Activity {
    volatile long lastOutboundNanos = System.nanoTime();
    volatile long responseHeads;

    void sawOutbound(ByteString b) {
      lastOutboundNanos = System.nanoTime();
      if (isFinalResponseHead(b)) {
        responseHeads++;
      }
    }

    /** {@code HTTP/1.x nnn} with a status that is not 1xx (an interim 100 Continue is not one). */
    static boolean isFinalResponseHead(ByteString b) {
      if (b.size() < 10) {
        return false;
      }
      String prefix = "HTTP/1.";
      for (int i = 0; i < prefix.length(); i++) {
        if (b.apply(i) != prefix.charAt(i)) {
          return false;
        }
      }
      return b.apply(8) == ' ' && b.apply(9) >= '2' && b.apply(9) <= '5';
    }
  }

  /** The inbound bytes of one connection: the framing guard plus the two timeouts. */
  static final class Inbound extends GraphStage<FlowShape<ByteString, ByteString>> {
    private final Inlet<ByteString> in = Inlet.create("ConnectionGuard.in");
    private final Outlet<ByteString> out = Outlet.create("ConnectionGuard.out");
    private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
    private final Activity activity;
    private final long headerTimeoutNanos;
    private final long idleNanos;
    private final Duration tick;

    Inbound(Activity activity, AdmissionSettings settings) {
      this.activity = activity;
      this.headerTimeoutNanos = settings.headerTimeout().toNanos();
      this.idleNanos = settings.idleTimeoutWithoutRequest().toNanos();
      long tickMs =
          Math.min(
                  settings.headerTimeout().toMillis(),
                  settings.idleTimeoutWithoutRequest().toMillis())
              / 4;
      this.tick = Duration.ofMillis(Math.max(50, Math.min(1000, tickMs)));
    }

    @Override
    public FlowShape<ByteString, ByteString> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new TimerGraphStageLogic(shape) {
        private final RequestFramingGuard guard = new RequestFramingGuard();
        private long headStartNanos = System.nanoTime();
        private long lastInboundNanos = System.nanoTime();

        {
          setHandler(
              in,
              new AbstractInHandler() {
                @Override
                public void onPush() {
                  ByteString data = grab(in);
                  long now = System.nanoTime();
                  lastInboundNanos = now;
                  boolean hadPartial = guard.holdsPartialHead();
                  long headsBefore = guard.heads();
                  List<ByteString> parts = guard.feed(data);
                  if (guard.holdsPartialHead()) {
                    if (!hadPartial || guard.heads() != headsBefore) {
                      headStartNanos = now;
                    }
                  }
                  ByteString joined = ByteString.emptyByteString();
                  for (ByteString p : parts) {
                    joined = joined.concat(p);
                  }
                  if (joined.isEmpty()) {
                    pull(in);
                  } else {
                    push(out, joined);
                  }
                }
              });
          setHandler(
              out,
              new AbstractOutHandler() {
                @Override
                public void onPull() {
                  pull(in);
                }
              });
        }

        @Override
        public void preStart() {
          scheduleWithFixedDelay("check", tick, tick);
        }

        @Override
        public void onTimer(Object key) {
          if (guard.passing() || guard.refused()) {
            cancelTimer("check");
            return;
          }
          if (!guard.betweenBodies()) {
            return; // a body is arriving: Pekko's own timeouts apply
          }
          long now = System.nanoTime();
          boolean awaitingFirstHead = guard.heads() == 0;
          if ((awaitingFirstHead || guard.holdsPartialHead())
              && now - headStartNanos > headerTimeoutNanos) {
            completeStage();
            return;
          }
          boolean answered = activity.responseHeads >= guard.heads();
          long lastTraffic = Math.max(lastInboundNanos, activity.lastOutboundNanos);
          if (!awaitingFirstHead
              && !guard.holdsPartialHead()
              && answered
              && now - lastTraffic > idleNanos) {
            completeStage();
          }
        }
      };
    }
  }
}
