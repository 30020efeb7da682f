package io.millrace.client;

import com.typesafe.config.ConfigFactory;
import io.grpc.Status;
import io.millrace.client.proto.AccessTokenInfo;
import io.millrace.client.proto.AccountServicePowerApi;
import io.millrace.client.proto.AccountServicePowerApiHandlerFactory;
import io.millrace.client.proto.AppendInput;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.AppendRecord;
import io.millrace.client.proto.AppendRequest;
import io.millrace.client.proto.AppendResponse;
import io.millrace.client.proto.AppendSessionRequest;
import io.millrace.client.proto.AppendSessionResponse;
import io.millrace.client.proto.BasinConfig;
import io.millrace.client.proto.BasinInfo;
import io.millrace.client.proto.BasinServicePowerApi;
import io.millrace.client.proto.BasinServicePowerApiHandlerFactory;
import io.millrace.client.proto.BasinState;
import io.millrace.client.proto.CheckTailRequest;
import io.millrace.client.proto.CheckTailResponse;
import io.millrace.client.proto.CreateBasinRequest;
import io.millrace.client.proto.CreateBasinResponse;
import io.millrace.client.proto.CreateStreamRequest;
import io.millrace.client.proto.CreateStreamResponse;
import io.millrace.client.proto.DeleteBasinRequest;
import io.millrace.client.proto.DeleteBasinResponse;
import io.millrace.client.proto.DeleteStreamRequest;
import io.millrace.client.proto.DeleteStreamResponse;
import io.millrace.client.proto.GetBasinConfigRequest;
import io.millrace.client.proto.GetBasinConfigResponse;
import io.millrace.client.proto.GetStreamConfigRequest;
import io.millrace.client.proto.GetStreamConfigResponse;
import io.millrace.client.proto.IssueAccessTokenRequest;
import io.millrace.client.proto.IssueAccessTokenResponse;
import io.millrace.client.proto.ListAccessTokensRequest;
import io.millrace.client.proto.ListAccessTokensResponse;
import io.millrace.client.proto.ListBasinsRequest;
import io.millrace.client.proto.ListBasinsResponse;
import io.millrace.client.proto.ListStreamsRequest;
import io.millrace.client.proto.ListStreamsResponse;
import io.millrace.client.proto.ReadOutput;
import io.millrace.client.proto.ReadRequest;
import io.millrace.client.proto.ReadResponse;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.ReadSessionResponse;
import io.millrace.client.proto.ReconfigureBasinRequest;
import io.millrace.client.proto.ReconfigureBasinResponse;
import io.millrace.client.proto.ReconfigureStreamRequest;
import io.millrace.client.proto.ReconfigureStreamResponse;
import io.millrace.client.proto.RevokeAccessTokenRequest;
import io.millrace.client.proto.RevokeAccessTokenResponse;
import io.millrace.client.proto.SequencedRecord;
import io.millrace.client.proto.SequencedRecordBatch;
import io.millrace.client.proto.StreamConfig;
import io.millrace.client.proto.StreamInfo;
import io.millrace.client.proto.StreamServicePowerApi;
import io.millrace.client.proto.StreamServicePowerApiHandlerFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.grpc.GrpcServiceException;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.grpc.javadsl.MetadataBuilder;
import org.apache.pekko.grpc.javadsl.ServiceHandler;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;

/**
 * An in-memory S2 v1alpha gRPC server for the SDK's unit tests, served over real HTTP/2 (h2c) from
 * the server stubs generated next to the client: basins, streams, appends with {@code
 * match_seq_num}, unary reads, read sessions that follow the tail, token checks, and injected
 * faults (failed calls, read sessions cut off after some records, append sessions failing at a
 * given batch, held acknowledgements).
 */
public final class FakeS2Server implements AutoCloseable {
  public static final String TOKEN = "test-token";

  /** A failure to inject into the next call of a method. */
  record Fault(Status.Code status, String code, boolean retryable, boolean afterApplying) {}

  /** Emitted by a read session at the tail between looks; filtered out before it is sent. */
  private static final ReadSessionResponse POLL =
      ReadSessionResponse.newBuilder()
          .setOutput(ReadOutput.newBuilder().setNextSeqNum(Long.MAX_VALUE))
          .build();

  final ActorSystem system;
  private final ServerBinding binding;
  final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  private final Map<String, ConcurrentLinkedQueue<Fault>> faults = new ConcurrentHashMap<>();
  private final Map<String, BasinConfig> basins = new TreeMap<>();
  private final Map<String, AccessTokenInfo> tokens = new TreeMap<>();
  private final Map<String, StreamConfig> streamConfigs = new TreeMap<>();
  private final Map<String, List<SequencedRecord>> streams = new ConcurrentHashMap<>();

  /** Read session requests as received. */
  final List<ReadSessionRequest> readSessions = new CopyOnWriteArrayList<>();

  /** Cut the next read session off (UNAVAILABLE) after this many records; -1 = never. */
  volatile int dropReadSessionAfter = -1;

  /** Records per read session batch. */
  volatile int readBatchSize = 3;

  /** Fail the append session at its n-th message (1-based, nothing appended); 0 = never. */
  volatile int failAppendSessionAt = 0;

  /** Append session messages received. */
  final AtomicInteger appendSessionMessages = new AtomicInteger();

  /** While not null, CheckTail answers wait for it. */
  volatile CompletableFuture<Void> holdCheckTail;

  /** While not null, append session acknowledgements wait for it. */
  volatile CompletableFuture<Void> holdAcks;

  public FakeS2Server() {
    system =
        ActorSystem.create(
            "fake-s2",
            ConfigFactory.parseString(
                    "pekko.http.server.enable-http2 = on\npekko.loglevel = WARNING\n"
                        + "pekko.actor.provider = local")
                .withFallback(ConfigFactory.load()));
    var handler =
        ServiceHandler.concatOrNotFound(
            AccountServicePowerApiHandlerFactory.partial(
                new Account(), io.millrace.client.proto.AccountService.name, system),
            BasinServicePowerApiHandlerFactory.partial(
                new Basins(), io.millrace.client.proto.BasinService.name, system),
            StreamServicePowerApiHandlerFactory.partial(
                new Streams(), io.millrace.client.proto.StreamService.name, system));
    binding =
        Http.get(system).newServerAt("127.0.0.1", 0).bind(handler).toCompletableFuture().join();
  }

  public int port() {
    return binding.localAddress().getPort();
  }

  Endpoint endpoint() {
    return new Endpoint("127.0.0.1", port(), false);
  }

  public int calls(String method) {
    return calls.computeIfAbsent(method, m -> new AtomicInteger()).get();
  }

  void inject(String method, Fault fault) {
    faults.computeIfAbsent(method, m -> new ConcurrentLinkedQueue<>()).add(fault);
  }

  public synchronized List<SequencedRecord> records(String basin, String stream) {
    List<SequencedRecord> r = streams.get(basin + "/" + stream);
    return r == null ? List.of() : List.copyOf(r);
  }

  @Override
  public void close() {
    binding.terminate(java.time.Duration.ofSeconds(1)).toCompletableFuture().join();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  static GrpcServiceException error(
      Status.Code status, String code, String message, boolean retryable) {
    MetadataBuilder md = new MetadataBuilder().addText("s2-error-code", code);
    if (retryable) {
      md.addText("s2-retryable", "true");
    }
    return new GrpcServiceException(
        Status.fromCode(status).withDescription(code + ": " + message), md.build());
  }

  /** Counts the call, checks the token, and returns the fault to inject, if any. */
  private Fault enter(String method, Metadata md) {
    calls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
    Optional<String> auth = md.getText("authorization");
    if (auth.isEmpty() || !auth.get().equals("Bearer " + TOKEN)) {
      throw error(Status.Code.UNAUTHENTICATED, "authn", "bad token", false);
    }
    ConcurrentLinkedQueue<Fault> q = faults.get(method);
    Fault f = q == null ? null : q.poll();
    if (f != null && !f.afterApplying()) {
      throw error(f.status(), f.code(), "injected", f.retryable());
    }
    return f;
  }

  private static <T> CompletionStage<T> answer(Fault f, T value) {
    if (f != null) {
      return CompletableFuture.failedFuture(error(f.status(), f.code(), "injected", f.retryable()));
    }
    return CompletableFuture.completedFuture(value);
  }

  private static <T> CompletionStage<T> run(java.util.function.Supplier<CompletionStage<T>> s) {
    try {
      return s.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static String basin(Metadata md) {
    return md.getText("s2-basin")
        .orElseThrow(() -> error(Status.Code.INVALID_ARGUMENT, "bad_header", "no s2-basin", false));
  }

  private synchronized List<SequencedRecord> stream(String basin, String stream) {
    List<SequencedRecord> r = streams.get(basin + "/" + stream);
    if (r == null) {
      throw error(Status.Code.NOT_FOUND, "stream_not_found", "no stream " + stream, false);
    }
    return r;
  }

  private synchronized AppendOutput doAppend(String basin, AppendInput input) {
    List<SequencedRecord> records = stream(basin, input.getStream());
    long start = records.size();
    if (input.hasMatchSeqNum() && input.getMatchSeqNum() != start) {
      throw new GrpcServiceException(
          Status.FAILED_PRECONDITION.withDescription("seq_num_mismatch: expected " + start),
          new MetadataBuilder()
              .addText("s2-error-code", "seq_num_mismatch")
              .addText("s2-expected-seq-num", Long.toString(start))
              .build());
    }
    long ts = System.currentTimeMillis();
    for (AppendRecord r : input.getRecordsList()) {
      records.add(
          SequencedRecord.newBuilder()
              .setSeqNum(records.size())
              .addAllHeaders(r.getHeadersList())
              .setBody(r.getBody())
              .setTimestamp(r.hasTimestamp() ? r.getTimestamp() : ts)
              .build());
    }
    long end = records.size();
    return AppendOutput.newBuilder()
        .setStartSeqNum(start)
        .setEndSeqNum(end)
        .setNextSeqNum(end)
        .setStartTimestamp(ts)
        .setEndTimestamp(ts)
        .setLastTimestamp(ts)
        .build();
  }

  private final class Account implements AccountServicePowerApi {
    @Override
    public CompletionStage<ListBasinsResponse> listBasins(ListBasinsRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("ListBasins", md);
            ListBasinsResponse.Builder b = ListBasinsResponse.newBuilder();
            synchronized (FakeS2Server.this) {
              for (String name : basins.keySet()) {
                if (name.startsWith(in.getPrefix()) && name.compareTo(in.getStartAfter()) > 0) {
                  if (b.getBasinsCount() == 2) {
                    b.setHasMore(true); // pages of two, so the SDK must follow pages
                    break;
                  }
                  b.addBasins(
                      BasinInfo.newBuilder().setName(name).setState(BasinState.BASIN_STATE_ACTIVE));
                }
              }
            }
            return answer(f, b.build());
          });
    }

    @Override
    public CompletionStage<CreateBasinResponse> createBasin(CreateBasinRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("CreateBasin", md);
            synchronized (FakeS2Server.this) {
              if (basins.putIfAbsent(in.getBasin(), in.getConfig()) != null) {
                throw error(Status.Code.ALREADY_EXISTS, "resource_already_exists", "exists", false);
              }
            }
            return answer(
                f,
                CreateBasinResponse.newBuilder()
                    .setInfo(
                        BasinInfo.newBuilder()
                            .setName(in.getBasin())
                            .setState(BasinState.BASIN_STATE_ACTIVE))
                    .build());
          });
    }

    @Override
    public CompletionStage<DeleteBasinResponse> deleteBasin(DeleteBasinRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("DeleteBasin", md);
            synchronized (FakeS2Server.this) {
              if (basins.remove(in.getBasin()) == null) {
                throw error(Status.Code.NOT_FOUND, "basin_not_found", "no basin", false);
              }
            }
            return answer(f, DeleteBasinResponse.getDefaultInstance());
          });
    }

    @Override
    public CompletionStage<ReconfigureBasinResponse> reconfigureBasin(
        ReconfigureBasinRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("ReconfigureBasin", md);
            BasinConfig merged;
            synchronized (FakeS2Server.this) {
              BasinConfig now = basins.get(in.getBasin());
              if (now == null) {
                throw error(Status.Code.NOT_FOUND, "basin_not_found", "no basin", false);
              }
              merged = now.toBuilder().mergeFrom(in.getConfig()).build();
              basins.put(in.getBasin(), merged);
            }
            return answer(f, ReconfigureBasinResponse.newBuilder().setConfig(merged).build());
          });
    }

    @Override
    public CompletionStage<GetBasinConfigResponse> getBasinConfig(
        GetBasinConfigRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("GetBasinConfig", md);
            BasinConfig c;
            synchronized (FakeS2Server.this) {
              c = basins.get(in.getBasin());
            }
            if (c == null) {
              throw error(Status.Code.NOT_FOUND, "basin_not_found", "no basin", false);
            }
            return answer(f, GetBasinConfigResponse.newBuilder().setConfig(c).build());
          });
    }

    @Override
    public CompletionStage<IssueAccessTokenResponse> issueAccessToken(
        IssueAccessTokenRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("IssueAccessToken", md);
            synchronized (FakeS2Server.this) {
              if (tokens.putIfAbsent(in.getInfo().getId(), in.getInfo()) != null) {
                throw error(
                    Status.Code.ALREADY_EXISTS, "resource_already_exists", "token exists", false);
              }
            }
            return answer(
                f,
                IssueAccessTokenResponse.newBuilder()
                    .setAccessToken("secret-" + in.getInfo().getId())
                    .build());
          });
    }

    @Override
    public CompletionStage<RevokeAccessTokenResponse> revokeAccessToken(
        RevokeAccessTokenRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("RevokeAccessToken", md);
            AccessTokenInfo info;
            synchronized (FakeS2Server.this) {
              info = tokens.remove(in.getId());
            }
            if (info == null) {
              throw error(
                  Status.Code.NOT_FOUND, "access_token_not_found", "no token " + in.getId(), false);
            }
            return answer(f, RevokeAccessTokenResponse.newBuilder().setInfo(info).build());
          });
    }

    @Override
    public CompletionStage<ListAccessTokensResponse> listAccessTokens(
        ListAccessTokensRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("ListAccessTokens", md);
            ListAccessTokensResponse.Builder b = ListAccessTokensResponse.newBuilder();
            synchronized (FakeS2Server.this) {
              for (AccessTokenInfo t : tokens.values()) {
                if (t.getId().startsWith(in.getPrefix())
                    && t.getId().compareTo(in.getStartAfter()) > 0) {
                  b.addAccessTokens(t);
                }
              }
            }
            return answer(f, b.build());
          });
    }
  }

  private final class Basins implements BasinServicePowerApi {
    @Override
    public CompletionStage<ListStreamsResponse> listStreams(ListStreamsRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("ListStreams", md);
            String basin = basin(md);
            ListStreamsResponse.Builder b = ListStreamsResponse.newBuilder();
            synchronized (FakeS2Server.this) {
              for (String key : streamConfigs.keySet()) {
                String name = key.substring(key.indexOf('/') + 1);
                if (key.startsWith(basin + "/")
                    && name.startsWith(in.getPrefix())
                    && name.compareTo(in.getStartAfter()) > 0) {
                  if (b.getStreamsCount() == 2) {
                    b.setHasMore(true);
                    break;
                  }
                  b.addStreams(StreamInfo.newBuilder().setName(name).setCreatedAt(1_700_000_000));
                }
              }
            }
            return answer(f, b.build());
          });
    }

    @Override
    public CompletionStage<CreateStreamResponse> createStream(CreateStreamRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("CreateStream", md);
            String basin = basin(md);
            synchronized (FakeS2Server.this) {
              String key = basin + "/" + in.getStream();
              if (streamConfigs.putIfAbsent(key, in.getConfig()) != null) {
                throw error(Status.Code.ALREADY_EXISTS, "resource_already_exists", "exists", false);
              }
              streams.put(key, new ArrayList<>());
            }
            return answer(
                f,
                CreateStreamResponse.newBuilder()
                    .setInfo(StreamInfo.newBuilder().setName(in.getStream()))
                    .build());
          });
    }

    @Override
    public CompletionStage<DeleteStreamResponse> deleteStream(DeleteStreamRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("DeleteStream", md);
            String key = basin(md) + "/" + in.getStream();
            synchronized (FakeS2Server.this) {
              if (streamConfigs.remove(key) == null) {
                throw error(Status.Code.NOT_FOUND, "stream_not_found", "no stream", false);
              }
              streams.remove(key);
            }
            return answer(f, DeleteStreamResponse.getDefaultInstance());
          });
    }

    @Override
    public CompletionStage<GetStreamConfigResponse> getStreamConfig(
        GetStreamConfigRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("GetStreamConfig", md);
            StreamConfig c;
            synchronized (FakeS2Server.this) {
              c = streamConfigs.get(basin(md) + "/" + in.getStream());
            }
            if (c == null) {
              throw error(Status.Code.NOT_FOUND, "stream_not_found", "no stream", false);
            }
            return answer(f, GetStreamConfigResponse.newBuilder().setConfig(c).build());
          });
    }

    @Override
    public CompletionStage<ReconfigureStreamResponse> reconfigureStream(
        ReconfigureStreamRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("ReconfigureStream", md);
            String key = basin(md) + "/" + in.getStream();
            StreamConfig merged;
            synchronized (FakeS2Server.this) {
              StreamConfig now = streamConfigs.get(key);
              if (now == null) {
                throw error(Status.Code.NOT_FOUND, "stream_not_found", "no stream", false);
              }
              merged = now.toBuilder().mergeFrom(in.getConfig()).build();
              streamConfigs.put(key, merged);
            }
            return answer(f, ReconfigureStreamResponse.newBuilder().setConfig(merged).build());
          });
    }
  }

  private final class Streams implements StreamServicePowerApi {
    @Override
    public CompletionStage<CheckTailResponse> checkTail(CheckTailRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("CheckTail", md);
            List<SequencedRecord> r = stream(basin(md), in.getStream());
            CompletableFuture<Void> hold = holdCheckTail;
            java.util.function.Supplier<CompletionStage<CheckTailResponse>> reply =
                () -> {
                  synchronized (FakeS2Server.this) {
                    return answer(
                        f,
                        CheckTailResponse.newBuilder()
                            .setNextSeqNum(r.size())
                            .setLastTimestamp(r.isEmpty() ? 0 : r.get(r.size() - 1).getTimestamp())
                            .build());
                  }
                };
            return hold == null ? reply.get() : hold.thenCompose(x -> reply.get());
          });
    }

    @Override
    public CompletionStage<AppendResponse> append(AppendRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("Append", md);
            AppendOutput out = doAppend(basin(md), in.getInput());
            return answer(f, AppendResponse.newBuilder().setOutput(out).build());
          });
    }

    @Override
    public Source<AppendSessionResponse, NotUsed> appendSession(
        Source<AppendSessionRequest, NotUsed> in, Metadata md) {
      enter("AppendSession", md);
      String basin = basin(md);
      return in.mapAsync(
          1,
          req -> {
            int n = appendSessionMessages.incrementAndGet();
            if (n == failAppendSessionAt) {
              throw error(Status.Code.UNAVAILABLE, "unavailable", "injected", true);
            }
            AppendOutput out = doAppend(basin, req.getInput());
            CompletableFuture<Void> hold = holdAcks;
            CompletionStage<Void> gate =
                hold == null ? CompletableFuture.completedFuture(null) : hold;
            return gate.thenApply(x -> AppendSessionResponse.newBuilder().setOutput(out).build());
          });
    }

    @Override
    public CompletionStage<ReadResponse> read(ReadRequest in, Metadata md) {
      return run(
          () -> {
            Fault f = enter("Read", md);
            List<SequencedRecord> r;
            synchronized (FakeS2Server.this) {
              r = List.copyOf(stream(basin(md), in.getStream()));
            }
            long start = in.getSeqNum();
            ReadOutput.Builder out = ReadOutput.newBuilder();
            if (start >= r.size()) {
              out.setNextSeqNum(r.size());
            } else {
              long count = in.getLimit().hasCount() ? in.getLimit().getCount() : 1000;
              out.setBatch(
                  SequencedRecordBatch.newBuilder()
                      .addAllRecords(
                          r.subList((int) start, (int) Math.min(r.size(), start + count))));
            }
            return answer(f, ReadResponse.newBuilder().setOutput(out).build());
          });
    }

    /** A read session: batches from the start, then the tail followed by polling. */
    @Override
    public Source<ReadSessionResponse, NotUsed> readSession(ReadSessionRequest in, Metadata md) {
      enter("ReadSession", md);
      readSessions.add(in);
      String basin = basin(md);
      stream(basin, in.getStream());
      long limit =
          in.getLimit().hasCount() && in.getLimit().getCount() > 0
              ? in.getLimit().getCount()
              : Long.MAX_VALUE;
      int drop = dropReadSessionAfter;
      dropReadSessionAfter = -1;
      // state: next seq num, records sent, whether the tail was reached once
      List<SequencedRecord> atStart = records(basin, in.getStream());
      long from =
          switch (in.getStartCase()) {
            case TAIL_OFFSET -> Math.max(0, atStart.size() - in.getTailOffset());
            case TIMESTAMP ->
                atStart.stream()
                    .filter(r -> r.getTimestamp() >= in.getTimestamp())
                    .mapToLong(SequencedRecord::getSeqNum)
                    .findFirst()
                    .orElse(atStart.size());
            default -> in.getSeqNum();
          };
      return Source.unfoldAsync(
              new long[] {from, 0, 0},
              s -> {
                if (s[1] >= limit) {
                  return CompletableFuture.completedFuture(Optional.empty());
                }
                if (drop >= 0 && s[1] >= drop) {
                  return CompletableFuture.failedFuture(
                      error(Status.Code.UNAVAILABLE, "unavailable", "connection cut", true));
                }
                List<SequencedRecord> all = records(basin, in.getStream());
                if (s[0] < all.size()) {
                  int max = readBatchSize;
                  if (drop >= 0) {
                    max = (int) Math.min(max, drop - s[1]);
                  }
                  long take = Math.min(max, limit - s[1]);
                  int end = (int) Math.min(all.size(), s[0] + take);
                  List<SequencedRecord> batch = all.subList((int) s[0], end);
                  long[] next = {end, s[1] + batch.size(), s[2]};
                  return CompletableFuture.completedFuture(
                      Optional.of(
                          Pair.create(
                              next,
                              ReadSessionResponse.newBuilder()
                                  .setOutput(
                                      ReadOutput.newBuilder()
                                          .setBatch(
                                              SequencedRecordBatch.newBuilder()
                                                  .addAllRecords(batch)))
                                  .build())));
                }
                if (s[2] == 0 && in.getHeartbeats()) {
                  return CompletableFuture.completedFuture(
                      Optional.of(
                          Pair.create(
                              new long[] {s[0], s[1], 1},
                              ReadSessionResponse.getDefaultInstance())));
                }
                // at the tail: look again shortly (emits nothing until there is something)
                return CompletableFuture.supplyAsync(
                        () -> null, CompletableFuture.delayedExecutor(20, TimeUnit.MILLISECONDS))
                    .thenApply(x -> Optional.of(Pair.create(s, POLL)));
              })
          .filter(r -> r != POLL);
    }
  }
}
