package io.millrace.engine.stream;

import io.millrace.core.api.AppendOutcome;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.Header;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import io.millrace.engine.EngineSettings;
import io.millrace.engine.sim.FaultyPort;
import io.millrace.engine.sim.Simulator;
import io.millrace.metadata.MetadataStore;
import io.millrace.metadata.MetadataStoreException;
import io.millrace.metadata.sqlite.SqliteMetadataStore;
import io.millrace.objectstore.ObjectStore;
import io.millrace.objectstore.ObjectStoreException;
import io.millrace.objectstore.memory.InMemoryObjectStore;
import io.millrace.verification.AppendRecord;
import io.millrace.verification.Call;
import io.millrace.verification.CheckResult;
import io.millrace.verification.History;
import io.millrace.verification.HistoryAudit;
import io.millrace.verification.HistoryRecorder;
import io.millrace.verification.LinearizabilityChecker;
import io.millrace.verification.Outcome;
import io.millrace.verification.RecordHash;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Consumer;

/**
 * One run of the deterministic engine simulation, entirely decided by its seed: the engine
 * settings, the fault rates of the object store and the metadata store, the clients' operations,
 * and when the node crashes (losing everything that is not durable) or hands its streams off
 * gracefully. Clients record a history ({@link HistoryRecorder} on virtual time); {@link SimChecks}
 * checks the invariants after every step; at the end, with faults healed, every stream must answer
 * a full read, and the history goes to {@link HistoryAudit} and the {@link LinearizabilityChecker}.
 */
final class SimWorld {

  /** What a run did and found. */
  record Result(
      long seed,
      String profile,
      long steps,
      long virtualMillis,
      int operations,
      int acked,
      int crashes,
      int handoffs,
      int takeovers,
      long injectedFaults,
      long checks,
      String violation,
      CheckResult linearizability,
      long traceHash,
      List<String> trace) {

    boolean ok() {
      return violation == null && !(linearizability instanceof CheckResult.NotLinearizable);
    }

    String summary() {
      return String.format(
          "seed %d: %s; %d steps, %d ms virtual, %d ops (%d acked), %d crashes, %d handoffs,"
              + " %d takeovers, %d faults injected, %d checks; %s",
          seed,
          profile,
          steps,
          virtualMillis,
          operations,
          acked,
          crashes,
          handoffs,
          takeovers,
          injectedFaults,
          checks,
          violation != null ? "VIOLATION: " + violation : String.valueOf(linearizability));
    }
  }

  private static final long LOAD_MILLIS = 4_000;
  private static final long CLIENT_TIMEOUT_MILLIS = 3_000;

  private final Simulator sim;
  private final Random rnd;
  private final InMemoryObjectStore baseObjects = new InMemoryObjectStore();
  private final SqliteMetadataStore baseMetadata = SqliteMetadataStore.inMemory();
  private final FaultyPort.Faults objectFaults;
  private final FaultyPort.Faults metadataFaults;
  private final FaultyPort[] objectPort = new FaultyPort[1];
  private final FaultyPort[] metadataPort = new FaultyPort[1];
  private final ObjectStore objects;
  private final MetadataStore metadata;
  private final EngineSettings settings;
  private final SimChecks checks;
  private final HistoryRecorder recorder;
  private final List<String> streams = new ArrayList<>();
  private final int clients;
  private final int channels;
  private final long meanCrashInterval;
  private final long meanHandoffInterval;
  private final long meanTakeoverInterval;
  private final String profile;
  private final Map<String, String> lastFence = new HashMap<>();
  private final Map<String, Long> knownTail = new HashMap<>();
  private SimNode node;
  private int nodeIncarnation;
  private boolean loadOn = true;
  private int operations;
  private int acked;
  private int crashes;
  private int handoffs;
  private int takeovers;
  private long logical;

  SimWorld(long seed) {
    this.sim = new Simulator(seed, 300);
    this.rnd = sim.random();
    int level = rnd.nextInt(4); // 0: no faults, 1: light, 2: heavy, 3: ambiguous-heavy
    double before = new double[] {0, 0.01, 0.06, 0.03}[level];
    double after = new double[] {0, 0.005, 0.02, 0.06}[level];
    long delay = 1 + rnd.nextInt(20);
    this.objectFaults = new FaultyPort.Faults(before, after, delay, 0.05);
    this.metadataFaults = new FaultyPort.Faults(before / 2, after / 2, 1 + rnd.nextInt(10), 0.03);
    this.objects =
        FaultyPort.wrap(
            ObjectStore.class,
            baseObjects,
            sim,
            "objects",
            objectFaults,
            ObjectStoreException::new,
            objectPort);
    this.metadata =
        FaultyPort.wrap(
            MetadataStore.class,
            baseMetadata,
            sim,
            "metadata",
            metadataFaults,
            m -> new MetadataStoreException(m, null),
            metadataPort);
    this.settings =
        new EngineSettings(
            Map.of(),
            256L << rnd.nextInt(5),
            Duration.ofMillis(1 + rnd.nextInt(10)),
            1 + rnd.nextInt(4),
            64L << 20,
            rnd.nextInt(4),
            Duration.ofMillis(2 + rnd.nextInt(10)),
            200L << rnd.nextInt(5),
            Duration.ofMillis(50 + rnd.nextInt(500)),
            rotationBytes(seed),
            16,
            Duration.ofMillis(rnd.nextBoolean() ? 100_000 : 200 + rnd.nextInt(1500)),
            Duration.ofSeconds(5));
    this.checks = new SimChecks(sim, baseObjects);
    this.recorder = new HistoryRecorder(() -> sim.now() * 1_000_000 + (logical++ % 1_000_000));
    int streamCount = 1 + rnd.nextInt(3);
    for (int i = 0; i < streamCount; i++) {
      streams.add("s" + i);
    }
    this.clients = 1 + rnd.nextInt(4);
    this.channels = 1 + rnd.nextInt(2);
    this.meanCrashInterval = rnd.nextInt(3) == 0 ? 0 : 300 + rnd.nextInt(2000);
    this.meanHandoffInterval = rnd.nextInt(3) == 0 ? 0 : 300 + rnd.nextInt(2000);
    this.meanTakeoverInterval = rnd.nextInt(3) == 0 ? 300 + rnd.nextInt(2000) : 0;
    this.profile =
        String.format(
            "%d streams, %d clients, %d channels, objects [%s], metadata [%s], chunk %d B,"
                + " %d writes in flight, %d retries, flush %d B/%d ms, rotate at %d B,"
                + " crash every ~%d ms,"
                + " handoff every ~%d ms, takeover every ~%d ms",
            streamCount,
            clients,
            channels,
            objectFaults,
            metadataFaults,
            settings.chunkMaxBytes(),
            settings.maxChunkWritesInFlight(),
            settings.writeRetries(),
            settings.segmentFlushBytes(),
            settings.segmentFlushAge().toMillis(),
            settings.streamletRotationBytes(),
            meanCrashInterval,
            meanHandoffInterval,
            meanTakeoverInterval);
  }

  /**
   * The streamlet rotation bytes of a run: a third of the seeds rotate at every flush (0), the rest
   * only after 400 B to 12.8 KiB (a few flushes). Drawn from its own random source so that adding
   * it left every other choice of a seed as it was.
   */
  private static long rotationBytes(long seed) {
    Random own = new Random(seed * 0x9E3779B97F4A7C15L + 13);
    return own.nextInt(3) == 0 ? 0 : 400L << own.nextInt(6);
  }

  /** The hash of a record as the verification model sees it (headers and body). */
  static long hash(SequencedRecord r) {
    List<RecordHash.Header> headers = new ArrayList<>(r.headers().size());
    for (Header h : r.headers()) {
      headers.add(new RecordHash.Header(h.name(), h.value()));
    }
    return RecordHash.of(headers, r.body());
  }

  // ---------------------------------------------------------------- run

  Result run() {
    String violation = null;
    CheckResult lin = null;
    try {
      startNode();
      for (int c = 0; c < clients; c++) {
        int client = c;
        sim.schedule(sim.delay(10), null, () -> nextOperation(client));
      }
      if (meanCrashInterval > 0) {
        scheduleCrash();
      }
      if (meanHandoffInterval > 0) {
        scheduleHandoff();
      }
      if (meanTakeoverInterval > 0) {
        scheduleTakeover();
      }
      sim.runUntil(LOAD_MILLIS, this::afterStep);
      // Heal: no more faults or crashes, clients stop; everything in flight must settle.
      loadOn = false;
      objectFaults.heal();
      metadataFaults.heal();
      sim.runUntil(sim.now() + CLIENT_TIMEOUT_MILLIS + 2_000, this::afterStep);
      Map<String, HistoryAudit.FinalRead> finals = finalReads();
      History history = recorder.history();
      HistoryAudit.Report audit = HistoryAudit.audit(history, finals);
      if (!audit.isClean()) {
        throw new SimChecks.Violation("history audit: " + audit);
      }
      lin =
          new LinearizabilityChecker(
                  new LinearizabilityChecker.Settings(2_000_000L, Duration.ofSeconds(20)))
              .check(history);
      if (lin instanceof CheckResult.NotLinearizable) {
        sim.trace("NOT LINEARIZABLE\n" + lin);
      }
    } catch (SimChecks.Violation v) {
      violation = v.getMessage();
    } catch (RuntimeException e) {
      violation = "unexpected exception: " + e;
      sim.trace("EXCEPTION " + stackTop(e));
    } finally {
      baseMetadata.close();
    }
    return new Result(
        sim.seed(),
        profile,
        sim.steps(),
        sim.now(),
        operations,
        acked,
        crashes,
        handoffs,
        takeovers,
        objectPort[0].injected() + metadataPort[0].injected(),
        checks.checksRun(),
        violation,
        lin,
        sim.traceHash(),
        sim.recentTrace());
  }

  private static String stackTop(Throwable e) {
    StringBuilder b = new StringBuilder(e.toString());
    StackTraceElement[] st = e.getStackTrace();
    for (int i = 0; i < Math.min(12, st.length); i++) {
      b.append("\n    at ").append(st[i]);
    }
    return b.toString();
  }

  private void afterStep() {
    if (node != null && node.alive()) {
      for (SimStream s : node.activeStreams()) {
        checks.entity(s);
      }
    }
  }

  private void startNode() {
    node =
        new SimNode("n" + (nodeIncarnation++), sim, objects, metadata, settings, channels, checks);
    sim.trace("node " + node.name + " starts");
  }

  private void scheduleCrash() {
    sim.schedule(
        1 + sim.delay(2 * meanCrashInterval),
        null,
        () -> {
          if (!loadOn) {
            return;
          }
          if (node == null) {
            scheduleCrash();
            return;
          }
          crashes++;
          sim.trace("CRASH node " + node.name);
          SimNode crashed = node;
          node.crash();
          node = null;
          lose(crashed);
          sim.schedule(
              1 + sim.delay(200),
              null,
              () -> {
                if (node == null) {
                  startNode();
                }
              });
          scheduleCrash();
        });
  }

  /** The ops in flight on {@code crashed} never get an answer: they complete indefinite. */
  private void lose(SimNode crashed) {
    for (Pending p : new ArrayList<>(inFlight.values())) {
      if (p.node() == crashed) {
        p.onLost().run();
      }
    }
  }

  /**
   * A takeover: a new node activates the streams while the old one still runs (it was cut off and
   * the cluster moved its shards) and finishes what it had in flight until it is killed. The old
   * owner must be fenced: whatever it still acknowledges must be in the new owner's history.
   */
  private void scheduleTakeover() {
    sim.schedule(
        1 + sim.delay(2 * meanTakeoverInterval),
        null,
        () -> {
          if (!loadOn) {
            return;
          }
          if (node != null) {
            takeovers++;
            SimNode old = node;
            checks.overlap(true);
            startNode();
            sim.trace("TAKEOVER: node " + node.name + " takes over while " + old.name + " runs on");
            sim.schedule(
                1 + sim.delay(1_000),
                null,
                () -> {
                  sim.trace("node " + old.name + " (taken over) is killed");
                  old.crash();
                  lose(old);
                  checks.overlap(false);
                });
          }
          scheduleTakeover();
        });
  }

  private void scheduleHandoff() {
    sim.schedule(
        1 + sim.delay(2 * meanHandoffInterval),
        null,
        () -> {
          if (!loadOn) {
            return;
          }
          if (node != null) {
            handoffs++;
            sim.trace("HANDOFF: node " + node.name + " passivates its streams");
            SimNode n = node;
            sim.post(n, n::passivateAll);
          }
          scheduleHandoff();
        });
  }

  // ---------------------------------------------------------------- clients

  /** Ops in flight, by id: what to do if the node crashes under them (complete indefinite). */
  private final Map<Integer, Pending> inFlight = new LinkedHashMap<>();

  private record Pending(SimNode node, Runnable onLost) {}

  /**
   * Whether op {@code op} was sent to the node that owns the streams now (not a taken-over one).
   */
  private boolean fromCurrentOwner(int op) {
    Pending p = inFlight.get(op);
    return p != null && p.node() == node;
  }

  private int nextOpId;

  private void nextOperation(int client) {
    if (!loadOn) {
      return;
    }
    String stream = streams.get(rnd.nextInt(streams.size()));
    int roll = rnd.nextInt(100);
    Runnable then = () -> sim.schedule(sim.delay(15), null, () -> nextOperation(client));
    if (roll < 65) {
      append(client, stream, then);
    } else if (roll < 82) {
      checkTail(client, stream, then);
    } else {
      read(client, stream, rnd.nextInt((int) (knownTail.getOrDefault(stream, 0L) + 1)), then);
    }
  }

  /** Sends {@code req} to the node; {@code onCrash} completes the op if the node dies first. */
  private boolean send(String stream, SimStream.Req req, int opId, Runnable onLost) {
    if (node == null) {
      return false;
    }
    inFlight.put(opId, new Pending(node, onLost));
    SimNode n = node;
    sim.post(n, () -> n.deliver(stream, req));
    return true;
  }

  private void append(int client, String stream, Runnable then) {
    int op = nextOpId++;
    operations++;
    List<io.millrace.core.record.AppendRecord> records = new ArrayList<>();
    List<AppendRecord> model = new ArrayList<>();
    if (rnd.nextInt(12) == 0) {
      String token = "t" + client + "-" + op;
      records.add(CommandRecords.fence(token));
      model.add(AppendRecord.fence(token));
    } else {
      int n = 1 + rnd.nextInt(3);
      for (int i = 0; i < n; i++) {
        String body = "c" + client + "-op" + op + "-r" + i + "-" + "x".repeat(rnd.nextInt(60));
        records.add(io.millrace.core.record.AppendRecord.of(body.getBytes(StandardCharsets.UTF_8)));
        model.add(AppendRecord.body(body));
      }
    }
    Long match = null;
    if (rnd.nextInt(4) == 0) {
      match = knownTail.getOrDefault(stream, 0L) + (rnd.nextInt(8) == 0 ? 1 : 0);
    }
    String token = null;
    if (lastFence.containsKey(stream) && rnd.nextInt(3) == 0) {
      token = rnd.nextInt(6) == 0 ? "stale" : lastFence.get(stream);
    }
    Call.Append call =
        new Call.Append(
            stream,
            model,
            match == null ? OptionalLong.empty() : OptionalLong.of(match),
            Optional.ofNullable(token));
    HistoryRecorder.Invocation inv = recorder.invoke(client, call);
    Consumer<Outcome> finish = finisher(op, inv, then);
    AppendInput input = new AppendInput(records, match, token);
    long[] hashes = model.stream().mapToLong(AppendRecord::hash).toArray();
    String fence =
        records.size() == 1 && model.get(0) instanceof AppendRecord.Fence f ? f.token() : null;
    SimStream.AppendReq req =
        new SimStream.AppendReq(
            input,
            reply -> {
              if (!inFlight.containsKey(op)) {
                return; // already given up (timeout)
              }
              finish.accept(appendOutcome(stream, reply, hashes, fence, fromCurrentOwner(op)));
            });
    sim.schedule(CLIENT_TIMEOUT_MILLIS, null, () -> finish.accept(Outcome.indefinite("timeout")));
    if (!send(stream, req, op, () -> finish.accept(Outcome.indefinite("node crashed")))) {
      finish.accept(Outcome.failed("node down"));
    }
  }

  private Outcome appendOutcome(
      String stream, StreamEntity.AppendReply reply, long[] hashes, String fence, boolean current) {
    if (reply instanceof StreamEntity.Failed f) {
      return switch (f.code()) {
        case UNAVAILABLE, STORAGE -> Outcome.failed(f.code() + ": " + f.message());
        default -> Outcome.indefinite(f.code() + ": " + f.message());
      };
    }
    AppendOutcome o = ((StreamEntity.AppendResult) reply).outcome();
    if (o instanceof AppendOutcome.Appended a) {
      long start = a.ack().start().seqNum();
      long end = a.ack().end().seqNum();
      if (end - start != hashes.length) {
        checks.violation(
            "stream "
                + stream
                + ": ack of "
                + hashes.length
                + " records spans "
                + start
                + ".."
                + end);
      }
      checks.acked(stream, start, end, hashes, a.ack().tail().seqNum(), current);
      knownTail.merge(stream, a.ack().tail().seqNum(), Math::max);
      if (fence != null) {
        lastFence.put(stream, fence);
      }
      acked++;
      return new Outcome.Acked(start, end);
    }
    if (o instanceof AppendOutcome.SeqNumMismatch m) {
      knownTail.merge(stream, m.expectedSeqNum(), Math::max);
      return new Outcome.SeqNumMismatch(m.expectedSeqNum());
    }
    AppendOutcome.FencingTokenMismatch m = (AppendOutcome.FencingTokenMismatch) o;
    return new Outcome.FencingTokenMismatch(Optional.of(m.currentToken()));
  }

  private void checkTail(int client, String stream, Runnable then) {
    int op = nextOpId++;
    operations++;
    HistoryRecorder.Invocation inv = recorder.invoke(client, new Call.CheckTail(stream));
    Consumer<Outcome> finish = finisher(op, inv, then);
    SimStream.TailReq req =
        new SimStream.TailReq(
            reply -> {
              if (reply instanceof StreamPosition p) {
                if (fromCurrentOwner(op)) {
                  checks.observedTail(stream, p.seqNum());
                }
                knownTail.merge(stream, p.seqNum(), Math::max);
                finish.accept(Outcome.tail(p.seqNum()));
              } else {
                finish.accept(Outcome.failed(String.valueOf(reply)));
              }
            });
    sim.schedule(CLIENT_TIMEOUT_MILLIS, null, () -> finish.accept(Outcome.indefinite("timeout")));
    if (!send(stream, req, op, () -> finish.accept(Outcome.indefinite("node crashed")))) {
      finish.accept(Outcome.failed("node down"));
    }
  }

  private void read(int client, String stream, long start, Runnable then) {
    read(client, stream, start, then, r -> {});
  }

  private void read(
      int client,
      String stream,
      long start,
      Runnable then,
      Consumer<SimStream.ReadResult> onRecords) {
    int op = nextOpId++;
    operations++;
    HistoryRecorder.Invocation inv = recorder.invoke(client, Call.Read.from(stream, start));
    Consumer<Outcome> finish = finisher(op, inv, then);
    SimStream.ReadReq req =
        new SimStream.ReadReq(
            start,
            reply -> {
              if (reply instanceof SimStream.ReadResult r) {
                checks.read(stream, r.records(), r.tail(), fromCurrentOwner(op));
                knownTail.merge(stream, r.tail(), Math::max);
                onRecords.accept(r);
                finish.accept(
                    new Outcome.Records(modelRecords(r.records()), OptionalLong.of(r.tail())));
              } else {
                finish.accept(Outcome.failed(String.valueOf(reply)));
              }
            });
    sim.schedule(CLIENT_TIMEOUT_MILLIS, null, () -> finish.accept(Outcome.indefinite("timeout")));
    if (!send(stream, req, op, () -> finish.accept(Outcome.indefinite("node crashed")))) {
      finish.accept(Outcome.failed("node down"));
    }
  }

  private Consumer<Outcome> finisher(int op, HistoryRecorder.Invocation inv, Runnable then) {
    boolean[] done = new boolean[1];
    int takeoversAtInvoke = takeovers;
    boolean overlapAtInvoke = checks.overlapping();
    return outcome -> {
      if (done[0]) {
        return;
      }
      done[0] = true;
      inFlight.remove(op);
      boolean splitBrain =
          overlapAtInvoke || checks.overlapping() || takeovers != takeoversAtInvoke;
      recorder.complete(inv, splitBrain ? splitBrain(outcome) : outcome);
      then.run();
    };
  }

  /**
   * An answer given while a taken-over owner still ran: acks and refusals stay as they are (an ack
   * must never be lost, whoever gave it), but a read, a check-tail or a 412 may come from an owner
   * whose view is stale (the engine does not fence reads: Cluster Sharding keeps one owner, and a
   * replaced owner stops at its next refused metadata write), so they are recorded as telling
   * nothing (docs/verification.md, "What is not checked").
   */
  private static Outcome splitBrain(Outcome outcome) {
    if (outcome instanceof Outcome.Acked || outcome instanceof Outcome.Failed) {
      return outcome;
    }
    if (outcome instanceof Outcome.Indefinite) {
      return outcome;
    }
    return Outcome.indefinite("answered while two owners ran: " + outcome);
  }

  private static List<io.millrace.verification.SequencedRecord> modelRecords(
      List<SequencedRecord> records) {
    List<io.millrace.verification.SequencedRecord> out = new ArrayList<>(records.size());
    for (SequencedRecord r : records) {
      out.add(new io.millrace.verification.SequencedRecord(r.seqNum(), hash(r)));
    }
    return out;
  }

  /**
   * With faults healed, every stream must answer a full read (liveness: nothing hangs or stays
   * broken); the reads join the history and feed the audit.
   */
  private Map<String, HistoryAudit.FinalRead> finalReads() {
    if (node == null) {
      startNode();
    }
    Map<String, HistoryAudit.FinalRead> finals = new LinkedHashMap<>();
    int finalClient = clients;
    for (String stream : streams) {
      SimStream.ReadResult[] got = new SimStream.ReadResult[1];
      for (int attempt = 0; attempt < 5 && got[0] == null; attempt++) {
        read(finalClient, stream, 0, () -> {}, r -> got[0] = r);
        sim.runUntil(sim.now() + 2_000, this::afterStep);
      }
      if (got[0] == null) {
        throw new SimChecks.Violation(
            "stream " + stream + " did not answer a read within 10 s after the faults healed");
      }
      finals.put(
          stream, new HistoryAudit.FinalRead(0, modelRecords(got[0].records()), got[0].tail()));
    }
    return finals;
  }
}
