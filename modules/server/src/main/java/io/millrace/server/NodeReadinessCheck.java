package io.millrace.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The readiness check behind the management route {@code /health/ready}: {@link Readiness} of this
 * node (Up member, started, data plane ready, stores answering). Pekko Management creates it from
 * {@code pekko.management.health-checks.readiness-checks.millrace-node}. When the node is not ready
 * the check fails with the reasons, so that Pekko's route answers 500 with them in the body ({@code
 * Health Check Failed: ... not ready: ...}; a plain {@code false} would also answer 500, with no
 * reason). The reasons are logged once each time they change, not on every probe.
 */
public final class NodeReadinessCheck implements Supplier<CompletionStage<Boolean>> {
  private final NodeStatus status;

  /** Called by Pekko Management with the node's actor system. */
  public NodeReadinessCheck(ActorSystem system) {
    this.status = NodeStatus.get(Adapter.toTyped(system));
  }

  @Override
  public CompletionStage<Boolean> get() {
    Readiness readiness = status.probeReadiness();
    if (readiness.ready()) {
      return CompletableFuture.completedFuture(true);
    }
    return CompletableFuture.failedFuture(
        new IllegalStateException("not ready: " + String.join("; ", readiness.reasons())));
  }
}
