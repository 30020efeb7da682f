package io.millrace.server;

import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The root actor of the server's actor system. In embedded mode it makes the node join itself,
 * forming a one-node cluster, and completes {@code up} once this member is Up.
 */
public final class Guardian {
  private Guardian() {}

  /** Messages of the guardian. */
  public sealed interface Command {}

  private record SelfIsUp(SelfUp event) implements Command {}

  public static Behavior<Command> create(CompletableFuture<Void> up) {
    return Behaviors.setup(
        ctx -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          ActorRef<SelfUp> adapter = ctx.messageAdapter(SelfUp.class, SelfIsUp::new);
          cluster.subscriptions().tell(Subscribe.create(adapter, SelfUp.class));
          cluster.manager().tell(Join.create(cluster.selfMember().address()));
          ctx.getLog()
              .info(
                  "Node {} is joining itself as a one-node cluster.",
                  cluster.selfMember().address());
          return Behaviors.receive(Command.class)
              .onMessage(
                  SelfIsUp.class,
                  m -> {
                    ctx.getLog().info("Node {} is Up.", cluster.selfMember().address());
                    up.complete(null);
                    return Behaviors.same();
                  })
              .build();
        });
  }
}
