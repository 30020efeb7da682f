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
 * The root actor of the server's actor system. Without seed nodes (embedded mode) it makes the node
 * join itself, forming a one-node cluster; with seed nodes configured ({@code
 * pekko.cluster.seed-nodes}) Pekko joins them on its own; with cluster bootstrap the server starts
 * Pekko Management's ClusterBootstrap, which finds or forms the cluster. It completes {@code up}
 * once this member is Up.
 */
public final class Guardian {
  private Guardian() {}

  /** Messages of the guardian. */
  public sealed interface Command {}

  private record SelfIsUp(SelfUp event) implements Command {}

  public static Behavior<Command> create(CompletableFuture<Void> up) {
    return create(up, true);
  }

  /**
   * @param selfJoin true to join this node itself (no seed nodes configured)
   */
  public static Behavior<Command> create(CompletableFuture<Void> up, boolean selfJoin) {
    return create(up, selfJoin ? JoinMode.SELF : JoinMode.SEED_NODES);
  }

  /** How a node becomes a cluster member. */
  public enum JoinMode {
    /** It joins itself and forms a one-node cluster (embedded mode). */
    SELF,
    /** Pekko joins the configured seed nodes ({@code pekko.cluster.seed-nodes}). */
    SEED_NODES,
    /** Pekko Management cluster bootstrap, started by the server, finds or forms the cluster. */
    BOOTSTRAP
  }

  /**
   * @param mode how this node joins the cluster
   */
  public static Behavior<Command> create(CompletableFuture<Void> up, JoinMode mode) {
    boolean selfJoin = mode == JoinMode.SELF;
    return Behaviors.setup(
        ctx -> {
          Cluster cluster = Cluster.get(ctx.getSystem());
          ActorRef<SelfUp> adapter = ctx.messageAdapter(SelfUp.class, SelfIsUp::new);
          cluster.subscriptions().tell(Subscribe.create(adapter, SelfUp.class));
          if (selfJoin) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            ctx.getLog()
                .info(
                    "Node {} is joining itself as a one-node cluster.",
                    cluster.selfMember().address());
          } else if (mode == JoinMode.BOOTSTRAP) {
            ctx.getLog()
                .info(
                    "Node {} is joining the cluster by cluster bootstrap (contact points {}).",
                    cluster.selfMember().address(),
                    ctx.getSystem()
                        .settings()
                        .config()
                        .getList("pekko.discovery.config.services.millrace.endpoints")
                        .unwrapped());
          } else {
            ctx.getLog()
                .info(
                    "Node {} is joining the cluster through its seed nodes {}.",
                    cluster.selfMember().address(),
                    ctx.getSystem().settings().config().getStringList("pekko.cluster.seed-nodes"));
          }
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
