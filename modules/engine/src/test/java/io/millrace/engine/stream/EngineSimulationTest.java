package io.millrace.engine.stream;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The deterministic simulation of the engine (docs/verification.md): each seed is one run of {@link
 * SimWorld} (settings, fault rates, workload, crashes and handoffs all drawn from the seed), with
 * the invariants of {@link SimChecks} checked after every step and the history checked for
 * linearizability at the end.
 *
 * <ul>
 *   <li>{@code -Dmillrace.sim.seed=N}: run seed N only (a failure prints its seed);
 *   <li>{@code -Dmillrace.sim.seeds=K -Dmillrace.sim.first-seed=F}: run seeds F .. F+K-1 (the
 *       default is the bounded CI run, {@value #CI_SEEDS} seeds from 1).
 * </ul>
 */
class EngineSimulationTest {
  static final int CI_SEEDS = 100;

  private static final java.util.logging.Logger CAFFEINE_LOG =
      java.util.logging.Logger.getLogger("com.github.benmanes.caffeine");
  private static Level savedLevel;

  @BeforeAll
  static void quietEngineLogs() {
    // Thousands of injected faults would log thousands of warnings; the trace tells the story.
    Logger logger = (Logger) LoggerFactory.getLogger("io.millrace");
    savedLevel = logger.getLevel();
    logger.setLevel(Level.OFF);
    // Caffeine (the WAL chunk cache) reports failed loads through java.util.logging.
    CAFFEINE_LOG.setLevel(java.util.logging.Level.OFF);
  }

  @AfterAll
  static void restoreEngineLogs() {
    ((Logger) LoggerFactory.getLogger("io.millrace")).setLevel(savedLevel);
  }

  /**
   * Seeds outside 1..100 that found a bug: 124 (recovery read a streamlet list older than its
   * segment list), 369, 409, 469, 557 (recovery's metadata-read races), 905 (a settling channel
   * answered a later batch before an earlier one, session 12), 7577 (the checker missed claimed
   * epochs, session 12).
   */
  private static final long[] REGRESSION_SEEDS = {124, 369, 409, 469, 557, 905, 7577};

  @Test
  void everySeedKeepsTheInvariantsAndALinearizableHistory() {
    String one = System.getProperty("millrace.sim.seed");
    long first = Long.getLong("millrace.sim.first-seed", 1L);
    long count = Long.getLong("millrace.sim.seeds", CI_SEEDS);
    if (one != null) {
      first = Long.parseLong(one);
      count = 1;
    }
    long started = System.nanoTime();
    List<String> failures = new ArrayList<>();
    long ops = 0;
    long faults = 0;
    long crashes = 0;
    long unknown = 0;
    List<Long> seeds = new ArrayList<>();
    for (long seed = first; seed < first + count; seed++) {
      seeds.add(seed);
    }
    if (one == null && !Boolean.getBoolean("millrace.sim.no-regressions")) {
      // Seeds beyond the CI range that once found a bug (docs/verification.md); a change to
      // SimWorld renumbers runs, so these guard the fixes only while SimWorld stays as it is.
      for (long seed : REGRESSION_SEEDS) {
        if (seed < first || seed >= first + count) {
          seeds.add(seed);
        }
      }
    }
    for (long seed : seeds) {
      SimWorld.Result r = new SimWorld(seed).run();
      ops += r.operations();
      faults += r.injectedFaults();
      crashes += r.crashes();
      if (r.linearizability() instanceof io.millrace.verification.CheckResult.Unknown) {
        unknown++;
      }
      if (one != null) {
        System.out.println(r.summary());
      }
      if (!r.ok()) {
        failures.add(report(r));
        if (failures.size() >= 3) {
          break;
        }
      }
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.printf(
        "Engine simulation: %d seeds from %d in %d ms: %d operations, %d faults injected,"
            + " %d crashes, %d histories too large to decide, %d failing%n",
        seeds.size(), first, millis, ops, faults, crashes, unknown, failures.size());
    assertThat(failures).as("failing seeds").isEmpty();
  }

  @Test
  void oneSeedReplaysTheSameRunExactly() {
    long seed = Long.getLong("millrace.sim.seed", 7L);
    SimWorld.Result a = new SimWorld(seed).run();
    SimWorld.Result b = new SimWorld(seed).run();
    assertThat(b.steps()).isEqualTo(a.steps());
    assertThat(b.traceHash()).isEqualTo(a.traceHash());
    assertThat(b.trace()).isEqualTo(a.trace());
    assertThat(a.steps()).isGreaterThan(100);
  }

  private static String report(SimWorld.Result r) {
    StringBuilder b = new StringBuilder();
    b.append(r.summary()).append('\n');
    b.append("reproduce: mvn -o -q -B -pl modules/engine -am test -Dtest=EngineSimulationTest")
        .append(" -Dsurefire.failIfNoSpecifiedTests=false -Dmillrace.sim.seed=")
        .append(r.seed())
        .append('\n');
    b.append("last steps of the run:\n");
    for (String line : r.trace()) {
      b.append("  ").append(line).append('\n');
    }
    return b.toString();
  }
}
