package io.millrace.engine.stream;

import io.millrace.core.ErrorCode;
import java.util.concurrent.atomic.LongAdder;
import org.apache.pekko.actor.DeadLetter;
import org.apache.pekko.actor.Dropped;
import org.apache.pekko.actor.UnhandledMessage;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;

/**
 * Answers stream-entity requests that this node could not deliver (docs/adr/0012-planned-moves.md).
 *
 * <p>While the shard coordinator hands a shard to another node, a request can reach an entity that
 * has just stopped, a shard that is handing off (it handles nothing but the end of its hand-off),
 * or a region that is not there: Pekko turns it into a dead letter, an unhandled message or a
 * dropped message, and its asker would wait for its whole ask timeout (seconds) before the client
 * retries. This actor listens for those on the node's event stream and answers every undelivered
 * {@link StreamEntity.Request} with a retryable {@code unavailable} at once, so that the client's
 * retry finds the stream's new home. An undelivered request reached no entity: nothing of it was
 * appended, so the refusal is exact (unlike a timeout, which leaves an append's outcome unknown).
 */
public final class UndeliveredRequests {
  private UndeliveredRequests() {}

  static final String MESSAGE = "stream is moving to another node; retry";

  /**
   * The listener; {@code answered} counts the requests it refused (metric {@code
   * millrace_undelivered_requests_total}).
   */
  public static Behavior<Object> create(LongAdder answered) {
    return Behaviors.setup(
        ctx -> {
          EventStream.Command sub1 =
              new EventStream.Subscribe<>(DeadLetter.class, ctx.getSelf().narrow());
          EventStream.Command sub2 =
              new EventStream.Subscribe<>(UnhandledMessage.class, ctx.getSelf().narrow());
          EventStream.Command sub3 =
              new EventStream.Subscribe<>(Dropped.class, ctx.getSelf().narrow());
          ctx.getSystem().eventStream().tell(sub1);
          ctx.getSystem().eventStream().tell(sub2);
          ctx.getSystem().eventStream().tell(sub3);
          return Behaviors.receive(Object.class).onAnyMessage(m -> answer(m, answered)).build();
        });
  }

  private static Behavior<Object> answer(Object message, LongAdder answered) {
    Object m = undelivered(message);
    if (m instanceof StreamEntity.Request r) {
      answered.increment(); // before the answer: whoever sees the answer sees it counted
      r.replyTo().tell(new StreamEntity.Failed(ErrorCode.UNAVAILABLE, MESSAGE));
    }
    return Behaviors.same();
  }

  /**
   * The message inside its wrappers: a shard region drops its buffered messages to a shard at the
   * start of a hand-off by sending each as a {@code Dropped} to the dead-letters actor, which
   * publishes it inside a {@code DeadLetter}; typed sharding wraps requests in a {@code
   * ShardingEnvelope}.
   */
  static Object undelivered(Object message) {
    Object m = message;
    for (int depth = 0; depth < 4; depth++) {
      if (m instanceof DeadLetter d) {
        m = d.message();
      } else if (m instanceof Dropped d) {
        m = d.message();
      } else if (m instanceof UnhandledMessage u) {
        m = u.message();
      } else if (m instanceof ShardingEnvelope<?> e) {
        m = e.message();
      } else {
        break;
      }
    }
    return m;
  }
}
