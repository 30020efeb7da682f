package io.millrace.server;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether a node is ready to serve clients, and if not, why: it must be an Up member of the
 * cluster, have finished starting, have a data plane that can make appends durable, and stores that
 * answer. Used by {@code GET /health} on the S2 port, {@code /health/ready} on the management port
 * and the {@code millrace_node_ready} gauge, so all three agree.
 *
 * @param ready true when every condition holds
 * @param reasons why the node is not ready, one short sentence each; empty when ready
 */
public record Readiness(boolean ready, List<String> reasons) {

  /**
   * Decides readiness from the node's state.
   *
   * @param memberStatus this node's cluster member status (for example {@code Up}, {@code Joining},
   *     {@code Leaving}), or {@code Removed} when it is not a member
   * @param started true once the node has finished its start (stores opened, HTTP bound)
   * @param dataPlaneReady true while the data plane has a channel of every storage class and is not
   *     stopping
   * @param storesHealthy true while the metadata store and the object store answer
   */
  public static Readiness of(
      String memberStatus, boolean started, boolean dataPlaneReady, boolean storesHealthy) {
    List<String> reasons = new ArrayList<>();
    if (!"Up".equals(memberStatus)) {
      reasons.add("this node is not an Up member of the cluster (it is " + memberStatus + ")");
    }
    if (!started) {
      reasons.add("the node is still starting");
    }
    if (!dataPlaneReady) {
      reasons.add("the data plane is not ready");
    }
    if (!storesHealthy) {
      reasons.add("the metadata store or the object store does not answer");
    }
    return new Readiness(reasons.isEmpty(), List.copyOf(reasons));
  }
}
