package io.millrace.it.bench;

import com.google.protobuf.ByteString;
import io.millrace.client.ClientConfig;
import io.millrace.client.Endpoint;
import io.millrace.client.MillraceClient;
import io.millrace.client.ReadSession;
import io.millrace.client.StreamClient;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.ReadLimit;
import io.millrace.client.proto.ReadRequest;
import io.millrace.client.proto.StreamConfig;
import io.millrace.it.S2Client;
import io.millrace.it.ServerProcess;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import org.HdrHistogram.Histogram;
import s2.v1.AppendAck;
import s2.v1.AppendInput;
import s2.v1.AppendRecord;
import s2.v1.ReadBatch;

/**
 * Unary benchmark of a Millrace (or any S2) server, over one of two APIs ({@code --api}): {@code
 * rest} (default), HTTP/1.1 with S2 v1 protobuf bodies, the path the Go, Rust and Python SDKs take;
 * or {@code grpc}, Millrace's own Java SDK ({@code modules/client}) over the S2 v1alpha gRPC API on
 * one HTTP/2 connection, what the {@code millrace} CLI uses; or {@code raw}, the REST protobuf
 * append written by hand on one kept-alive HTTP/1.1 socket (request head and body in one write, the
 * answer parsed from the socket), which leaves out the JDK HTTP client's own per-request cost so
 * the figure is the server's (reads and set-up go through the REST client as with {@code rest}):
 *
 * <ol>
 *   <li>serial append ack latency of 1 record of 128 B (one append in flight at a time);
 *   <li>serial append ack latency of batches of 1000 records of 1 KiB;
 *   <li>catch-up read throughput: unary reads of up to 1000 records from seq 0 to the tail of the
 *       stream written in step 2.
 * </ol>
 *
 * <p>Without {@code --endpoint URL} (the REST base URL, or the gRPC endpoint with {@code --api
 * grpc}) it starts the built server jar ({@code --jar}, default {@code
 * modules/server/target/millrace.jar}, with {@code --grpc-port} for {@code --api grpc}) on a
 * temporary data dir and removes it afterwards. Options: {@code --small N} (default 5000), {@code
 * --large N} (default 100), {@code --warmup N} (default 60000: unmeasured serial appends first, so
 * that the figures are the server's steady state and not its JIT compilation, which on two cores
 * keeps changing the serial p99 for the first few tens of thousands of appends). See
 * docs/benchmarks.md.
 */
public final class UnaryBench {

  private UnaryBench() {}

  /** Runs the benchmark and prints a Markdown table. */
  public static void main(String[] args) throws Exception {
    String endpoint = null;
    Path jar = ServerProcess.defaultJar();
    int small = 5000;
    int large = 100;
    int warmup = 60_000;
    String api = "rest";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--endpoint" -> endpoint = args[++i];
        case "--jar" -> jar = Path.of(args[++i]);
        case "--small" -> small = Integer.parseInt(args[++i]);
        case "--large" -> large = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--api" -> api = args[++i];
        default -> {
          System.err.println(
              "usage: UnaryBench [--api rest|raw|grpc] [--endpoint URL | --jar PATH] [--small N]"
                  + " [--large N] [--warmup N]");
          System.exit(2);
        }
      }
    }
    if (!api.equals("rest") && !api.equals("raw") && !api.equals("grpc")) {
      System.err.println("--api must be rest, raw or grpc, not " + api);
      System.exit(2);
    }
    boolean grpc = api.equals("grpc");
    ServerProcess server = null;
    Path dataDir = null;
    String base;
    String token = S2Client.tokenFromEnvironment();
    if (endpoint == null) {
      dataDir = Files.createTempDirectory("millrace-bench-");
      Path log = dataDir.resolveSibling(dataDir.getFileName() + ".log");
      int grpcPort = ServerProcess.freePort();
      server =
          ServerProcess.start(
              jar,
              dataDir,
              ServerProcess.freePort(),
              log,
              List.of("-Xms1g", "-Xmx1g"),
              grpc ? List.of("--grpc-port", Integer.toString(grpcPort)) : List.of());
      System.out.println("started " + jar + " (pid " + server.pid() + ") on " + dataDir);
      System.out.println("server log: " + log);
      base = grpc ? "http://127.0.0.1:" + grpcPort : server.baseUri().toString();
      token = server.accessToken();
    } else {
      base = endpoint;
    }
    System.out.println(
        "api: "
            + switch (api) {
              case "grpc" -> "gRPC (s2.v1alpha) via the Java SDK";
              case "raw" -> "REST (S2 v1) appends on one hand-written HTTP/1.1 socket";
              default -> "REST (S2 v1)";
            });
    try (Target<?> target =
        switch (api) {
          case "grpc" -> new SdkTarget(base, token);
          case "raw" -> new RawTarget(base, token);
          default -> new RestTarget(base, token);
        }) {
      run(target, small, large, warmup);
    } finally {
      if (server != null) {
        server.stop();
        ServerProcess.deleteTree(dataDir);
      }
    }
  }

  /** One API the benchmark drives: REST through {@link S2Client}, or gRPC through the SDK. */
  private interface Target<I> extends AutoCloseable {
    void createStreams(String basin, List<String> streams) throws IOException;

    /** Appends {@code bodies}, one record each; returns the tail after the append. */
    long append(String basin, String stream, I prepared) throws IOException;

    /** The append input of {@code bodies}, built once before the timed calls. */
    I prepare(List<byte[]> bodies);

    /** Reads up to {@code max} records from {@code from}; returns {count, metered bytes}. */
    long[] read(String basin, String stream, long from, int max) throws IOException;

    @Override
    void close();
  }

  private static class RestTarget implements Target<AppendInput> {
    final S2Client client;

    RestTarget(String base, String token) {
      client = new S2Client(URI.create(base), token);
    }

    @Override
    public void createStreams(String basin, List<String> streams) throws IOException {
      client.createBasin(basin, null);
      for (String s : streams) {
        client.createStream(basin, s, null);
      }
    }

    @Override
    public AppendInput prepare(List<byte[]> bodies) {
      AppendInput.Builder b = AppendInput.newBuilder();
      bodies.forEach(
          body -> b.addRecords(AppendRecord.newBuilder().setBody(ByteString.copyFrom(body))));
      return b.build();
    }

    @Override
    public long append(String basin, String stream, AppendInput prepared) throws IOException {
      AppendAck ack = client.appendProto(basin, stream, prepared);
      return ack.getEnd().getSeqNum();
    }

    @Override
    public long[] read(String basin, String stream, long from, int max) throws IOException {
      ReadBatch batch = client.readProto(basin, stream, from, max);
      long metered = 0;
      for (s2.v1.SequencedRecord r : batch.getRecordsList()) {
        metered += 8 + r.getBody().size();
        for (var h : r.getHeadersList()) {
          metered += 2 + h.getName().size() + h.getValue().size();
        }
      }
      return new long[] {batch.getRecordsCount(), metered};
    }

    @Override
    public void close() {}
  }

  /**
   * REST appends written by hand: one kept-alive HTTP/1.1 connection with TCP_NODELAY, the request
   * head and protobuf body sent in one write, the answer's head and Content-Length body read back.
   * Everything else (creating streams, reads) goes through {@link RestTarget}.
   */
  private static final class RawTarget extends RestTarget {
    private final URI base;
    private final String token;
    private java.net.Socket socket;
    private java.io.BufferedInputStream in;
    private java.io.OutputStream out;

    RawTarget(String base, String token) {
      super(base, token);
      this.base = URI.create(base);
      this.token = token;
    }

    private void connect() throws IOException {
      socket = new java.net.Socket(base.getHost(), base.getPort());
      socket.setTcpNoDelay(true);
      in = new java.io.BufferedInputStream(socket.getInputStream(), 65536);
      out = socket.getOutputStream();
    }

    @Override
    public long append(String basin, String stream, AppendInput prepared) throws IOException {
      if (socket == null) {
        connect();
      }
      byte[] body = prepared.toByteArray();
      String head =
          "POST "
              + S2Client.streamPath(stream)
              + "/records HTTP/1.1\r\n"
              + "host: "
              + base.getHost()
              + ":"
              + base.getPort()
              + "\r\n"
              + "authorization: Bearer "
              + token
              + "\r\n"
              + "s2-basin: "
              + basin
              + "\r\n"
              + "content-type: application/protobuf\r\n"
              + "accept: application/protobuf\r\n"
              + "content-length: "
              + body.length
              + "\r\n\r\n";
      byte[] headBytes = head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] request = new byte[headBytes.length + body.length];
      System.arraycopy(headBytes, 0, request, 0, headBytes.length);
      System.arraycopy(body, 0, request, headBytes.length, body.length);
      out.write(request);
      out.flush();

      String status = line();
      int contentLength = -1;
      boolean close = false;
      for (String h = line(); !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = h.substring(colon + 1).trim();
        if (name.equals("content-length")) {
          contentLength = Integer.parseInt(value);
        } else if (name.equals("transfer-encoding")) {
          throw new IOException("unexpected transfer-encoding " + value + " in an append answer");
        } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
          close = true;
        }
      }
      if (contentLength < 0) {
        throw new IOException("append answer without content-length: " + status);
      }
      byte[] answer = in.readNBytes(contentLength);
      if (close) {
        socket.close();
        socket = null;
      }
      if (!status.startsWith("HTTP/1.1 200")) {
        throw new IOException(
            "append to "
                + stream
                + ": "
                + status
                + " "
                + new String(answer, java.nio.charset.StandardCharsets.UTF_8));
      }
      return AppendAck.parseFrom(answer).getEnd().getSeqNum();
    }

    /** One header line without its CRLF. */
    private String line() throws IOException {
      StringBuilder b = new StringBuilder();
      for (int c = in.read(); c != '\n'; c = in.read()) {
        if (c < 0) {
          throw new IOException("connection closed in the middle of an answer");
        }
        if (c != '\r') {
          b.append((char) c);
        }
      }
      return b.toString();
    }

    @Override
    public void close() {
      if (socket != null) {
        try {
          socket.close();
        } catch (IOException ignored) {
          // closing a benchmark socket
        }
      }
    }
  }

  private static final class SdkTarget
      implements Target<List<io.millrace.client.proto.AppendRecord>> {
    private final MillraceClient client;

    SdkTarget(String endpoint, String token) {
      client =
          MillraceClient.create(
              ClientConfig.builder(Endpoint.parse(endpoint)).accessToken(token).build());
    }

    private static <T> T join(CompletionStage<T> stage) {
      return stage.toCompletableFuture().join();
    }

    private StreamClient stream(String basin, String stream) {
      return client.basin(basin).stream(stream);
    }

    @Override
    public void createStreams(String basin, List<String> streams) {
      join(client.createBasin(basin, BasinConfig.getDefaultInstance()));
      for (String s : streams) {
        join(client.basin(basin).createStream(s, StreamConfig.getDefaultInstance()));
      }
    }

    @Override
    public List<io.millrace.client.proto.AppendRecord> prepare(List<byte[]> bodies) {
      return bodies.stream().map(io.millrace.client.Records::of).toList();
    }

    @Override
    public long append(
        String basin, String stream, List<io.millrace.client.proto.AppendRecord> prepared) {
      return join(stream(basin, stream).append(prepared)).getEndSeqNum();
    }

    @Override
    public long[] read(String basin, String stream, long from, int max) {
      var out =
          join(
              stream(basin, stream)
                  .read(
                      ReadRequest.newBuilder()
                          .setSeqNum(from)
                          .setLimit(ReadLimit.newBuilder().setCount(max))
                          .build()));
      long metered = 0;
      for (var r : out.getBatch().getRecordsList()) {
        metered += ReadSession.meteredBytes(r);
      }
      return new long[] {out.getBatch().getRecordsCount(), metered};
    }

    @Override
    public void close() {
      client.close();
    }
  }

  private static <I> void run(Target<I> client, int small, int large, int warmup)
      throws IOException {
    String basin = "bench-" + Long.toHexString(System.nanoTime());
    client.createStreams(basin, List.of("bench/small", "bench/large"));
    Random random = new Random(42);

    I one = client.prepare(List.of(body(random, 128)));
    for (int i = 0; i < warmup; i++) {
      client.append(basin, "bench/small", one);
    }
    Histogram smallLatency = new Histogram(60_000_000L, 3);
    for (int i = 0; i < small; i++) {
      long t0 = System.nanoTime();
      client.append(basin, "bench/small", one);
      smallLatency.recordValue((System.nanoTime() - t0) / 1000);
    }

    List<byte[]> bodies = new ArrayList<>(1000);
    for (int i = 0; i < 1000; i++) {
      bodies.add(body(random, 1024));
    }
    I thousand = client.prepare(bodies);
    Histogram largeLatency = new Histogram(60_000_000L, 3);
    long expectedRecords = 0;
    for (int i = 0; i < large; i++) {
      long t0 = System.nanoTime();
      expectedRecords = client.append(basin, "bench/large", thousand);
      largeLatency.recordValue((System.nanoTime() - t0) / 1000);
    }

    long metered = 0;
    long count = 0;
    long t0 = System.nanoTime();
    while (count < expectedRecords) {
      long[] got = client.read(basin, "bench/large", count, 1000);
      if (got[0] == 0) {
        throw new IllegalStateException("empty read at " + count + " of " + expectedRecords);
      }
      count += got[0];
      metered += got[1];
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    double mib = metered / (1024.0 * 1024.0);

    System.out.println();
    System.out.println("| measurement | n | p50 | p99 | max |");
    System.out.println("|---|---|---|---|---|");
    printLatency("append ack, 1 record x 128 B (serial)", smallLatency);
    printLatency("append ack, 1000 records x 1 KiB (serial)", largeLatency);
    System.out.println();
    System.out.println("| measurement | records | MiB (metered) | seconds | MiB/s | records/s |");
    System.out.println("|---|---|---|---|---|---|");
    System.out.printf(
        Locale.ROOT,
        "| catch-up read, unary, 1000 records per read | %d | %.1f | %.2f | %.1f | %.0f |%n",
        count,
        mib,
        seconds,
        mib / seconds,
        count / seconds);
  }

  private static byte[] body(Random random, int bodyBytes) {
    byte[] body = new byte[bodyBytes];
    random.nextBytes(body);
    return body;
  }

  private static void printLatency(String what, Histogram h) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %d | %.2f ms | %.2f ms | %.2f ms |%n",
        what,
        h.getTotalCount(),
        h.getValueAtPercentile(50) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0,
        h.getMaxValue() / 1000.0);
  }
}
