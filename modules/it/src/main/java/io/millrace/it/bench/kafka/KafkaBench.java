package io.millrace.it.bench.kafka;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import s2.v1.AppendInput;
import s2.v1.AppendRecord;
import s2.v1.ReadBatch;
import s2.v1.SequencedRecord;

/**
 * Millrace side by side with a single-node Apache Kafka broker (issue 12 item 6), on the same
 * machine and disk, one system at a time. Three workloads, run the same way against each:
 *
 * <ol>
 *   <li><b>serial ack latency</b>: one 128 B record per append/produce, one in flight; Millrace
 *       through unary protobuf appends, Kafka through {@code producer.send(..).get()} with {@code
 *       acks=all}, {@code linger.ms=0};
 *   <li><b>throughput into one stream / one partition</b>: batches of 1000 records of 1 KiB (about
 *       1 MiB), at most {@code --inflight} (default 5) unacknowledged; Millrace through unary
 *       protobuf appends of 1000 records, Kafka with {@code batch.size} 1 MiB and {@code
 *       max.in.flight.requests.per.connection} equal to {@code --inflight}; MiB/s of record bodies;
 *   <li><b>produce-to-consume latency</b> at a fixed rate ({@code --rate} MiB/s, default 1, of 1
 *       KiB records sent every 10 ms): the time from just before the append/produce call to the
 *       tailing reader having the record; Millrace's reader uses unary long-poll reads ({@code
 *       wait}), Kafka's a consumer assigned to the partition (no group). The first second is not
 *       measured.
 * </ol>
 *
 * <p>Kafka runs twice: with {@code log.flush.interval.messages=1} (fsync of the partition log
 * before the ack, like Millrace, which acks only durable records) and with Kafka's default flushing
 * (page cache only, acknowledged records can be lost on a power failure: NOT equivalent). Ratios
 * are Millrace/Kafka: below 1 is Millrace faster for latencies, above 1 Millrace faster for
 * throughput. See docs/benchmarks.md, "Side by side with Kafka".
 */
public final class KafkaBench {

  private static final int SMALL_BYTES = 128;
  private static final int LARGE_BYTES = 1024;
  private static final int BATCH_RECORDS = 1000;
  private static final long TICK_MS = 10;

  private KafkaBench() {}

  /** Options of one run. */
  record Options(
      int small, int warmup, int batches, int inflight, double rateMiBps, int e2eSeconds) {

    int recordsPerTick() {
      return Math.max(1, (int) Math.round(rateMiBps * 1024 * TICK_MS / 1000.0));
    }
  }

  /** What one system measured. */
  record Result(Histogram serial, double mibPerSecond, Histogram endToEnd) {}

  /** Runs the benchmark and prints a Markdown table. */
  public static void main(String[] args) throws Exception {
    Path jar = ServerProcess.defaultJar();
    Path kafkaLib = Path.of("modules/it/kafka-broker/target/lib");
    Path base = null;
    int small = 2000;
    int warmup = 200;
    int batches = 100;
    int inflight = 5;
    double rate = 1.0;
    int e2eSeconds = 10;
    boolean defaultFlush = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jar" -> jar = Path.of(args[++i]);
        case "--kafka-lib" -> kafkaLib = Path.of(args[++i]);
        case "--dir" -> base = Path.of(args[++i]);
        case "--small" -> small = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--batches" -> batches = Integer.parseInt(args[++i]);
        case "--inflight" -> inflight = Integer.parseInt(args[++i]);
        case "--rate" -> rate = Double.parseDouble(args[++i]);
        case "--seconds" -> e2eSeconds = Integer.parseInt(args[++i]);
        case "--no-default-flush" -> defaultFlush = false;
        default -> {
          System.err.println(
              "usage: KafkaBench [--jar PATH] [--kafka-lib DIR] [--dir DIR] [--small N]"
                  + " [--warmup N] [--batches N] [--inflight N] [--rate MIB_PER_S] [--seconds N]"
                  + " [--no-default-flush]");
          System.exit(2);
        }
      }
    }
    if (small < 1 || batches < 1 || inflight < 1 || rate <= 0 || e2eSeconds < 2) {
      System.err.println("--small, --batches, --inflight >= 1, --rate > 0, --seconds >= 2");
      System.exit(2);
    }
    Options options = new Options(small, warmup, batches, inflight, rate, e2eSeconds);
    Path root =
        base == null
            ? Files.createTempDirectory("millrace-kafka-bench-")
            : Files.createTempDirectory(Files.createDirectories(base), "millrace-kafka-bench-");
    System.out.println("work dir " + root + " (Millrace and Kafka data on the same disk)");
    System.out.println(
        "options " + options + ", " + options.recordsPerTick() + " records per tick");

    Map<String, Result> results = new LinkedHashMap<>();
    try {
      results.put("Millrace", runMillrace(jar, root.resolve("millrace"), options));
      results.put(
          "Kafka, flush per batch", runKafka(kafkaLib, root.resolve("kafka-fsync"), true, options));
      if (defaultFlush) {
        results.put(
            "Kafka, default flush (NOT equivalent)",
            runKafka(kafkaLib, root.resolve("kafka-default"), false, options));
      }
    } finally {
      ServerProcess.deleteTree(root);
    }
    printTable(results);
  }

  // ---------------------------------------------------------------- Millrace

  private static Result runMillrace(Path jar, Path dir, Options o) throws Exception {
    Path log = dir.resolveSibling("millrace.log");
    System.out.println(
        "== Millrace: starting " + jar + " (load " + loadAverage() + "), log " + log);
    ServerProcess server =
        ServerProcess.start(jar, dir, ServerProcess.freePort(), log, List.of("-Xms1g", "-Xmx1g"));
    try {
      S2Client client = new S2Client(server.baseUri(), server.accessToken());
      String basin = "kafka-bench-" + Long.toHexString(System.nanoTime());
      client.createBasin(basin, null);
      for (String s : List.of("serial", "throughput", "e2e")) {
        client.createStream(basin, s, null);
      }
      Random random = new Random(42);

      AppendInput one = AppendInput.newBuilder().addRecords(record(random, SMALL_BYTES)).build();
      for (int i = 0; i < o.warmup(); i++) {
        client.appendProto(basin, "serial", one);
      }
      Histogram serial = histogram();
      for (int i = 0; i < o.small(); i++) {
        long t0 = System.nanoTime();
        client.appendProto(basin, "serial", one);
        serial.recordValue((System.nanoTime() - t0) / 1000);
      }
      System.out.println("   serial done (load " + loadAverage() + ")");

      List<AppendRecord> records = new ArrayList<>(BATCH_RECORDS);
      for (int i = 0; i < BATCH_RECORDS; i++) {
        records.add(record(random, LARGE_BYTES));
      }
      HttpRequest batch =
          client.appendProtoRequest(
              basin, "throughput", AppendInput.newBuilder().addAllRecords(records).build());
      int warmBatches = Math.min(5, o.batches());
      pipelined(client, batch, warmBatches, o.inflight());
      long t0 = System.nanoTime();
      pipelined(client, batch, o.batches(), o.inflight());
      double seconds = (System.nanoTime() - t0) / 1e9;
      long tail = client.checkTail(basin, "throughput").getSeqNum();
      long expected = (long) (warmBatches + o.batches()) * BATCH_RECORDS;
      if (tail != expected) {
        throw new IllegalStateException(
            "throughput stream tail " + tail + ", expected " + expected);
      }
      double mibps = mib((long) o.batches() * BATCH_RECORDS * LARGE_BYTES) / seconds;
      System.out.println("   throughput done (load " + loadAverage() + ")");

      Histogram e2e = millraceEndToEnd(client, basin, o);
      System.out.println("   produce-to-consume done (load " + loadAverage() + ")");
      return new Result(serial, mibps, e2e);
    } finally {
      server.stop();
    }
  }

  /** Sends {@code count} copies of {@code request} with at most {@code inflight} unanswered. */
  private static void pipelined(S2Client client, HttpRequest request, int count, int inflight)
      throws InterruptedException {
    Semaphore window = new Semaphore(inflight);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    for (int i = 0; i < count && failure.get() == null; i++) {
      window.acquire();
      client
          .sendAsync(request)
          .whenComplete(
              (res, err) -> {
                try {
                  if (err != null) {
                    failure.compareAndSet(null, err);
                  } else {
                    S2Client.parseAck(res, "pipelined append");
                  }
                } catch (RuntimeException e) {
                  failure.compareAndSet(null, e);
                } finally {
                  window.release();
                }
              });
    }
    window.acquire(inflight);
    if (failure.get() != null) {
      throw new IllegalStateException("append failed", failure.get());
    }
  }

  private static Histogram millraceEndToEnd(S2Client client, String basin, Options o)
      throws Exception {
    int perTick = o.recordsPerTick();
    long ticks = o.e2eSeconds() * 1000L / TICK_MS;
    long total = ticks * perTick;
    long unmeasured = 1000L / TICK_MS * perTick;
    Histogram h = histogram();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread reader =
        new Thread(
            () -> {
              long pos = 0;
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.e2eSeconds() + 60L);
              try {
                while (pos < total && System.nanoTime() < deadline) {
                  HttpRequest req =
                      client
                          .request(
                              S2Client.streamPath("e2e")
                                  + "/records?seq_num="
                                  + pos
                                  + "&count=1000&wait=5",
                              basin)
                          .header("accept", "application/protobuf")
                          .GET()
                          .build();
                  S2Client.Response res = client.send(req);
                  if (res.status() != 200) {
                    throw new IllegalStateException("read " + res.status() + ": " + res.text());
                  }
                  long now = System.nanoTime();
                  for (SequencedRecord r : parseBatch(res.body()).getRecordsList()) {
                    if (r.getSeqNum() >= unmeasured) {
                      h.recordValue(
                          Math.max(0, now - r.getBody().asReadOnlyByteBuffer().getLong(0)) / 1000);
                    }
                    pos = r.getSeqNum() + 1;
                  }
                }
                if (pos < total) {
                  throw new IllegalStateException("reader got " + pos + " of " + total);
                }
              } catch (Throwable t) {
                failure.compareAndSet(null, t);
              }
            },
            "millrace-tail-reader");
    reader.start();
    Semaphore window = new Semaphore(256);
    long start = System.nanoTime();
    byte[] body = new byte[LARGE_BYTES];
    for (long t = 0; t < ticks && failure.get() == null; t++) {
      parkUntil(start + TimeUnit.MILLISECONDS.toNanos(t * TICK_MS));
      AppendInput.Builder input = AppendInput.newBuilder();
      long sent = System.nanoTime();
      ByteBuffer.wrap(body).putLong(0, sent);
      ByteString bytes = ByteString.copyFrom(body);
      for (int i = 0; i < perTick; i++) {
        input.addRecords(AppendRecord.newBuilder().setBody(bytes));
      }
      window.acquire();
      client
          .sendAsync(client.appendProtoRequest(basin, "e2e", input.build()))
          .whenComplete(
              (res, err) -> {
                try {
                  if (err != null) {
                    failure.compareAndSet(null, err);
                  } else {
                    S2Client.parseAck(res, "e2e append");
                  }
                } catch (RuntimeException e) {
                  failure.compareAndSet(null, e);
                } finally {
                  window.release();
                }
              });
    }
    reportWriter(start, ticks);
    reader.join(TimeUnit.SECONDS.toMillis(o.e2eSeconds() + 90L));
    if (failure.get() != null) {
      throw new IllegalStateException("produce-to-consume failed", failure.get());
    }
    if (h.getTotalCount() != total - unmeasured) {
      throw new IllegalStateException(
          "measured " + h.getTotalCount() + " records, expected " + (total - unmeasured));
    }
    return h;
  }

  private static ReadBatch parseBatch(byte[] body) {
    try {
      return ReadBatch.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("undecodable ReadBatch", e);
    }
  }

  // ---------------------------------------------------------------- Kafka

  private static Result runKafka(Path lib, Path dir, boolean flushEveryMessage, Options o)
      throws Exception {
    System.out.println(
        "== Kafka ("
            + (flushEveryMessage ? "log.flush.interval.messages=1" : "default flushing")
            + "): starting from "
            + lib
            + " (load "
            + loadAverage()
            + ")");
    try (KafkaBroker broker = KafkaBroker.start(lib, dir, flushEveryMessage)) {
      System.out.println("   broker pid " + broker.pid() + ", log " + broker.logFile());
      String bootstrap = broker.bootstrap();
      Properties adminProps = new Properties();
      adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      try (Admin admin = Admin.create(adminProps)) {
        admin
            .createTopics(
                List.of(
                    new NewTopic("serial", 1, (short) 1),
                    new NewTopic("throughput", 1, (short) 1),
                    new NewTopic("e2e", 1, (short) 1)))
            .all()
            .get(60, TimeUnit.SECONDS);
      }
      Random random = new Random(42);

      Histogram serial = histogram();
      try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap, 0, 16 * 1024, 1)) {
        byte[] small = bytes(random, SMALL_BYTES);
        for (int i = 0; i < o.warmup(); i++) {
          producer.send(new ProducerRecord<>("serial", small)).get();
        }
        for (int i = 0; i < o.small(); i++) {
          long t0 = System.nanoTime();
          producer.send(new ProducerRecord<>("serial", small)).get();
          serial.recordValue((System.nanoTime() - t0) / 1000);
        }
      }
      System.out.println("   serial done (load " + loadAverage() + ")");

      double mibps;
      try (KafkaProducer<byte[], byte[]> producer =
          producer(bootstrap, 5, 1024 * 1024, o.inflight())) {
        byte[] large = bytes(random, LARGE_BYTES);
        int warmBatches = Math.min(5, o.batches());
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicLong acked = new AtomicLong();
        produceMany(producer, large, (long) warmBatches * BATCH_RECORDS, failure, acked);
        long t0 = System.nanoTime();
        produceMany(producer, large, (long) o.batches() * BATCH_RECORDS, failure, acked);
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (failure.get() != null) {
          throw new IllegalStateException("produce failed", failure.get());
        }
        long expected = (long) (warmBatches + o.batches()) * BATCH_RECORDS;
        if (acked.get() != expected) {
          throw new IllegalStateException("acked " + acked.get() + " of " + expected);
        }
        mibps = mib((long) o.batches() * BATCH_RECORDS * LARGE_BYTES) / seconds;
      }
      System.out.println("   throughput done (load " + loadAverage() + ")");

      Histogram e2e = kafkaEndToEnd(bootstrap, o);
      System.out.println("   produce-to-consume done (load " + loadAverage() + ")");
      return new Result(serial, mibps, e2e);
    }
  }

  private static void produceMany(
      KafkaProducer<byte[], byte[]> producer,
      byte[] value,
      long count,
      AtomicReference<Exception> failure,
      AtomicLong acked) {
    for (long i = 0; i < count && failure.get() == null; i++) {
      producer.send(
          new ProducerRecord<>("throughput", value),
          (meta, err) -> {
            if (err != null) {
              failure.compareAndSet(null, err);
            } else {
              acked.incrementAndGet();
            }
          });
    }
    producer.flush();
  }

  private static KafkaProducer<byte[], byte[]> producer(
      String bootstrap, int lingerMs, int batchSize, int inflight) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMs));
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(batchSize));
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, Integer.toString(inflight));
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(2 * 1024 * 1024));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(128L * 1024 * 1024));
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return new KafkaProducer<>(p);
  }

  private static Histogram kafkaEndToEnd(String bootstrap, Options o) throws Exception {
    int perTick = o.recordsPerTick();
    long ticks = o.e2eSeconds() * 1000L / TICK_MS;
    long total = ticks * perTick;
    long unmeasured = 1000L / TICK_MS * perTick;
    Histogram h = histogram();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    TopicPartition tp = new TopicPartition("e2e", 0);
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    c.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, "1");
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
    consumer.assign(List.of(tp));
    consumer.seekToBeginning(List.of(tp));
    long startOffset = consumer.position(tp, Duration.ofSeconds(30));
    Thread reader =
        new Thread(
            () -> {
              long received = 0;
              long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.e2eSeconds() + 60L);
              try {
                while (received < total && System.nanoTime() < deadline) {
                  var polled = consumer.poll(Duration.ofMillis(100));
                  long now = System.nanoTime();
                  for (ConsumerRecord<byte[], byte[]> r : polled) {
                    if (r.offset() - startOffset >= unmeasured) {
                      h.recordValue(
                          Math.max(0, now - ByteBuffer.wrap(r.value()).getLong(0)) / 1000);
                    }
                    received++;
                  }
                }
                if (received < total) {
                  throw new IllegalStateException("consumer got " + received + " of " + total);
                }
              } catch (Throwable t) {
                failure.compareAndSet(null, t);
              } finally {
                consumer.close();
              }
            },
            "kafka-tail-consumer");
    reader.start();
    try (KafkaProducer<byte[], byte[]> producer = producer(bootstrap, 0, 16 * 1024, 5)) {
      long start = System.nanoTime();
      for (long t = 0; t < ticks && failure.get() == null; t++) {
        parkUntil(start + TimeUnit.MILLISECONDS.toNanos(t * TICK_MS));
        byte[] body = new byte[LARGE_BYTES];
        ByteBuffer.wrap(body).putLong(0, System.nanoTime());
        for (int i = 0; i < perTick; i++) {
          producer.send(
              new ProducerRecord<>("e2e", body),
              (meta, err) -> {
                if (err != null) {
                  failure.compareAndSet(null, err);
                }
              });
        }
      }
      reportWriter(start, ticks);
      producer.flush();
    }
    reader.join(TimeUnit.SECONDS.toMillis(o.e2eSeconds() + 90L));
    if (failure.get() != null) {
      throw new IllegalStateException("produce-to-consume failed", failure.get());
    }
    if (h.getTotalCount() != total - unmeasured) {
      throw new IllegalStateException(
          "measured " + h.getTotalCount() + " records, expected " + (total - unmeasured));
    }
    return h;
  }

  // ---------------------------------------------------------------- output

  private static void printTable(Map<String, Result> results) {
    List<String> names = new ArrayList<>(results.keySet());
    Result millrace = results.get(names.get(0));
    StringBuilder header = new StringBuilder("| workload | Millrace |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (String name : names.subList(1, names.size())) {
      header.append(' ').append(name).append(" | Millrace/Kafka |");
      rule.append("---|---|");
    }
    System.out.println();
    System.out.println(header);
    System.out.println(rule);
    row("serial 128 B ack p50 (ms)", results, r -> ms(r.serial(), 50), millrace);
    row("serial 128 B ack p99 (ms)", results, r -> ms(r.serial(), 99), millrace);
    row("serial 128 B ack p99.9 (ms)", results, r -> ms(r.serial(), 99.9), millrace);
    row("one stream/partition, 1 MiB batches (MiB/s)", results, Result::mibPerSecond, millrace);
    row("produce-to-consume p50 (ms)", results, r -> ms(r.endToEnd(), 50), millrace);
    row("produce-to-consume p99 (ms)", results, r -> ms(r.endToEnd(), 99), millrace);
    System.out.println();
    System.out.printf(
        Locale.ROOT,
        "n: serial %d per system, produce-to-consume %d records per system.%n"
            + "Millrace/Kafka below 1 is Millrace faster for latencies, above 1 for MiB/s.%n",
        millrace.serial().getTotalCount(),
        millrace.endToEnd().getTotalCount());
  }

  private static void row(
      String what,
      Map<String, Result> results,
      java.util.function.ToDoubleFunction<Result> metric,
      Result millrace) {
    double m = metric.applyAsDouble(millrace);
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "| %s | %.2f |", what, m));
    results.values().stream()
        .skip(1)
        .forEach(
            r -> {
              double k = metric.applyAsDouble(r);
              line.append(String.format(Locale.ROOT, " %.2f | %.2f |", k, m / k));
            });
    System.out.println(line);
  }

  private static double ms(Histogram h, double percentile) {
    return h.getValueAtPercentile(percentile) / 1000.0;
  }

  // ---------------------------------------------------------------- helpers

  private static Histogram histogram() {
    return new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
  }

  private static AppendRecord record(Random random, int bodyBytes) {
    return AppendRecord.newBuilder().setBody(ByteString.copyFrom(bytes(random, bodyBytes))).build();
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  /** Prints how long the writer took for its schedule: longer means the rate was not offered. */
  private static void reportWriter(long start, long ticks) {
    System.out.printf(
        Locale.ROOT,
        "   writer sent %d ticks in %.2f s (schedule %.2f s)%n",
        ticks,
        (System.nanoTime() - start) / 1e9,
        ticks * TICK_MS / 1000.0);
  }

  private static void parkUntil(long deadlineNanos) {
    long wait;
    while ((wait = deadlineNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(wait);
    }
  }

  private static String loadAverage() {
    try {
      String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return parts[0] + " " + parts[1] + " " + parts[2];
    } catch (IOException e) {
      return "unknown";
    }
  }
}
