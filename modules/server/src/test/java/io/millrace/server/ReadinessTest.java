package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReadinessTest {
  @Test
  void anUpStartedNodeWithAReadyDataPlaneAndAnsweringStoresIsReady() {
    Readiness r = Readiness.of("Up", true, true, true);

    assertThat(r.ready()).isTrue();
    assertThat(r.reasons()).isEmpty();
  }

  @Test
  void aNodeThatIsStillJoiningIsNotReadyAndSaysSo() {
    Readiness r = Readiness.of("Joining", true, true, true);

    assertThat(r.ready()).isFalse();
    assertThat(r.reasons())
        .containsExactly("this node is not an Up member of the cluster (it is Joining)");
  }

  @Test
  void weaklyUpAndLeavingMembersAreNotReady() {
    assertThat(Readiness.of("WeaklyUp", true, true, true).ready()).isFalse();
    assertThat(Readiness.of("Leaving", true, true, true).ready()).isFalse();
    assertThat(Readiness.of("Exiting", true, true, true).ready()).isFalse();
  }

  @Test
  void everyFailingConditionIsNamed() {
    Readiness r = Readiness.of("Removed", false, false, false);

    assertThat(r.ready()).isFalse();
    assertThat(r.reasons())
        .containsExactly(
            "this node is not an Up member of the cluster (it is Removed)",
            "the node is still starting",
            "the data plane is not ready",
            "the metadata store or the object store does not answer");
  }

  @Test
  void storesThatStopAnsweringMakeAnUpNodeNotReady() {
    Readiness r = Readiness.of("Up", true, true, false);

    assertThat(r.ready()).isFalse();
    assertThat(r.reasons())
        .containsExactly("the metadata store or the object store does not answer");
  }
}
