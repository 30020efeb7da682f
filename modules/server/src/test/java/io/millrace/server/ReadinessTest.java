package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ReadinessTest {
  @Test
  void anUpStartedNodeWithAReadyDataPlaneAndAnsweringStoresIsReady() {
    Readiness r = Readiness.of("Up", true, true, true);

    assertThat(r.ready()).isTrue();
    assertThat(r.reasons()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("singleFailingConditions")
  void aNodeWithOneFailingConditionIsNotReadyAndSaysWhy(
      String condition, Readiness r, String reason) {
    assertThat(r.ready()).isFalse();
    assertThat(r.reasons()).containsExactly(reason);
  }

  static Stream<Arguments> singleFailingConditions() {
    return Stream.of(
        Arguments.of(
            "a node that is still joining",
            Readiness.of("Joining", true, true, true),
            "this node is not an Up member of the cluster (it is Joining)"),
        Arguments.of(
            "stores that stop answering make an up node not ready",
            Readiness.of("Up", true, true, false),
            "the metadata store or the object store does not answer"));
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
}
