package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.Failures;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.AppendSession;
import io.millrace.core.api.AppendSessionService;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.RecordService;
import io.millrace.core.record.AppendInput;
import io.millrace.core.session.ReadSession;
import io.millrace.core.session.SequentialAppendSession;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.SourceQueueWithComplete;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streaming sessions on the records endpoints (spec sections 6.4 and 6.5): S2S append and read
 * sessions ({@code Content-Type: s2s/proto}) and SSE read sessions ({@code Accept:
 * text/event-stream}), as Pekko Streams sources feeding the response entity.
 *
 * <p>Errors found before a session starts (404, 416, bad query, bad header) are plain JSON error
 * responses. Once it has started, an error is an S2S terminal frame or an SSE {@code error} event,
 * after which the response ends. A normal end is the end of the response body (S2S) or {@code data:
 * [DONE]} (SSE).
 *
 * <p>Append sessions read the request body as a stream while acks are written (full duplex, over
 * HTTP/1.1 chunked bodies and HTTP/2 alike). Batches are pipelined through an {@link AppendSession}
 * when the record service is an {@link AppendSessionService}, else sent one at a time; acks are
 * written in order; the first failed batch, malformed frame, unparsable protobuf or invalid batch
 * ends the session with a terminal frame after the acks of the batches before it.
 */
class StreamingSessions {
  private static final Logger log = LoggerFactory.getLogger(StreamingSessions.class);

  static final ContentType S2S =
      ContentTypes.create(MediaTypes.customBinary("s2s", "proto", false));
  static final ContentType EVENT_STREAM = ContentTypes.create(MediaTypes.TEXT_EVENT_STREAM);

  private final RecordService records;
  private final SessionSettings settings;
  private final Materializer materializer;

  private final HttpMetrics metrics;

  StreamingSessions(RecordService records, SessionSettings settings, Materializer materializer) {
    this(
        records,
        settings,
        materializer,
        new HttpMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry()));
  }

  StreamingSessions(
      RecordService records,
      SessionSettings settings,
      Materializer materializer,
      HttpMetrics metrics) {
    this.records = records;
    this.settings = settings;
    this.materializer = materializer;
    this.metrics = metrics;
  }

  // ---------------------------------------------------------------- append sessions

  CompletionStage<HttpResponse> s2sAppendSession(
      Call call, String basin, String stream, EncryptionKey key) {
    if (records == null) {
      return CompletableFuture.completedFuture(ErrorMapper.notImplemented("S2S append sessions"));
    }
    HttpRequest request = call.request();
    S2sFrames.Compression compression =
        S2sFrames.Compression.negotiate(call.header("accept-encoding"));
    AppendSession session =
        records instanceof AppendSessionService s
            ? s.openAppendSession(basin, stream, key)
            : new SequentialAppendSession(records, basin, stream, key);
    String id = call.describe();
    S2sFrames.Decoder decoder = new S2sFrames.Decoder(compression);
    // The response is fed through a queue so that it can end (after a terminal frame) while the
    // request body is still being read and discarded: cancelling the request body instead would
    // reset an HTTP/2 stream before the terminal frame reached the client.
    Pair<SourceQueueWithComplete<ByteString>, Source<ByteString, NotUsed>> out =
        Source.<ByteString>queue(16, OverflowStrategy.backpressure()).preMaterialize(materializer);
    SourceQueueWithComplete<ByteString> queue = out.first();
    AtomicBoolean over = new AtomicBoolean();
    boolean[] decoderDead = new boolean[1];
    request
        .entity()
        .withoutSizeLimit()
        .getDataBytes()
        .<Item>mapConcat(
            chunk -> {
              if (decoderDead[0] || over.get()) {
                return List.of();
              }
              List<Item> items = decodeInputs(decoder, chunk, call.principal());
              if (!items.isEmpty() && items.get(items.size() - 1) instanceof Item.Bad) {
                decoderDead[0] = true;
              }
              return items;
            })
        .concatLazy(
            Source.lazySource(() -> decoderDead[0] ? Source.<Item>empty() : endOfInput(decoder)))
        .mapAsync(
            settings.appendMaxInflight(),
            item -> {
              if (over.get()) {
                return CompletableFuture.completedFuture((Result) null);
              }
              if (item instanceof Item.Bad bad) {
                return CompletableFuture.completedFuture(Result.failed(bad.error()));
              }
              return session
                  .submit(((Item.Input) item).input())
                  .handle((outcome, err) -> err != null ? Result.failed(err) : Result.of(outcome));
            })
        .mapAsync(
            1,
            r -> {
              if (r == null || over.get()) {
                return CompletableFuture.completedFuture(Done.getInstance());
              }
              ByteString frame = r.frame(compression);
              if (r.ok()) {
                return queue.offer(frame).thenApply(x -> Done.getInstance());
              }
              over.set(true);
              return queue
                  .offer(frame)
                  .thenApply(
                      x -> {
                        queue.complete();
                        return Done.getInstance();
                      });
            })
        .watchTermination(
            (mat, finished) -> {
              metrics.s2sAppendSessions.incrementAndGet();
              finished.whenComplete((d, e) -> metrics.s2sAppendSessions.decrementAndGet());
              return mat;
            })
        .runWith(Sink.ignore(), materializer)
        .whenComplete(
            (done, err) -> {
              session.close();
              if (err != null) {
                log.debug("Append session {} ended abnormally: {}", id, err.toString());
                if (!over.getAndSet(true)) {
                  queue.fail(err);
                }
              } else if (!over.getAndSet(true)) {
                queue.complete();
              }
            });
    return CompletableFuture.completedFuture(sessionResponse(S2S, out.second()));
  }

  /** Items of an append session's input: a decoded batch, or the error that ends the input. */
  sealed interface Item {
    record Input(AppendInput input) implements Item {}

    record Bad(Throwable error) implements Item {}
  }

  private static List<Item> decodeInputs(
      S2sFrames.Decoder decoder, ByteString chunk, io.millrace.core.auth.Principal principal) {
    List<Item> out = new ArrayList<>();
    try {
      for (S2sFrames.Frame f : decoder.push(chunk)) {
        // A malformed payload is bad_proto (an S2Exception, caught below: it ends the input).
        // The append session validates each batch (AppendValidation) before it is appended.
        AppendInput input = ProtoCodec.appendInput(f.payload());
        principal.checkCommands(input);
        out.add(new Item.Input(input));
      }
    } catch (S2Exception e) {
      out.add(new Item.Bad(e));
    }
    return out;
  }

  private static Source<Item, NotUsed> endOfInput(S2sFrames.Decoder decoder) {
    if (decoder.hasPartialFrame()) {
      return Source.single(
          new Item.Bad(new S2Exception(ErrorCode.BAD_FRAME, "request body ended inside a frame")));
    }
    return Source.empty();
  }

  /** The outcome of one batch, as an ack frame or a terminal frame. */
  private record Result(AppendOutcome outcome, Throwable error) {
    static Result of(AppendOutcome o) {
      return new Result(o, null);
    }

    static Result failed(Throwable t) {
      Throwable cause = Failures.unwrap(t);
      return new Result(null, cause);
    }

    boolean ok() {
      return outcome instanceof AppendOutcome.Appended;
    }

    ByteString frame(S2sFrames.Compression compression) {
      if (outcome instanceof AppendOutcome.Appended a) {
        return S2sFrames.encode(ProtoCodec.toProto(a.ack()).toByteArray(), compression);
      }
      if (outcome instanceof AppendOutcome.SeqNumMismatch m) {
        return S2sFrames.terminal(412, JsonCodec.seqNumMismatch(m.expectedSeqNum()));
      }
      if (outcome instanceof AppendOutcome.FencingTokenMismatch m) {
        return S2sFrames.terminal(412, JsonCodec.fencingTokenMismatch(m.currentToken()));
      }
      return terminalFrame(error);
    }
  }

  // ---------------------------------------------------------------- read sessions

  /** The reader of one session: the service's session reader when it has one (for metering). */
  private RecordService sessionReader(String basin, String stream) {
    return records instanceof io.millrace.core.api.ReadSessionService s
        ? s.openReadSession(basin, stream)
        : records;
  }

  CompletionStage<HttpResponse> s2sReadSession(
      Call call, String basin, String stream, EncryptionKey key) {
    if (records == null) {
      return CompletableFuture.completedFuture(ErrorMapper.notImplemented("S2S read sessions"));
    }
    S2sFrames.Compression compression =
        S2sFrames.Compression.negotiate(call.header("accept-encoding"));
    ReadSession session =
        new ReadSession(
            sessionReader(basin, stream),
            basin,
            stream,
            key,
            Queries.sessionReadParams(call.query()),
            new long[2],
            settings.timing(),
            System::currentTimeMillis);
    return startRead(
        session,
        metrics.s2sReadSessions,
        S2S,
        event -> {
          s2.v1.ReadBatch proto =
              event instanceof ReadSession.Batch b
                  ? ProtoCodec.toProto(b.batch())
                  : s2.v1.ReadBatch.newBuilder()
                      .setTail(ProtoCodec.toProto(((ReadSession.Heartbeat) event).tail()))
                      .build();
          return S2sFrames.encode(proto.toByteArray(), compression);
        },
        Optional.empty(),
        StreamingSessions::terminalFrame);
  }

  CompletionStage<HttpResponse> sseReadSession(
      Call call, String basin, String stream, EncryptionKey key) {
    if (records == null) {
      return CompletableFuture.completedFuture(ErrorMapper.notImplemented("SSE read sessions"));
    }
    RecordFormat format = RecordFormat.fromHeader(call.header(RecordFormat.HEADER));
    long[] totals = new long[2];
    ReadSession.Params params =
        Queries.sessionReadParams(call.query()).resume(call.header("last-event-id"), totals);
    ReadSession session =
        new ReadSession(
            sessionReader(basin, stream),
            basin,
            stream,
            key,
            params,
            totals,
            settings.timing(),
            System::currentTimeMillis);
    return startRead(
        session,
        metrics.sseReadSessions,
        EVENT_STREAM,
        event -> {
          if (event instanceof ReadSession.Batch b) {
            long lastSeq = b.batch().records().get(b.batch().records().size() - 1).seqNum();
            return SseEvents.batch(
                lastSeq + "," + b.totalCount() + "," + b.totalBytes(),
                JsonCodec.readBatch(b.batch(), format));
          }
          return SseEvents.ping(System.currentTimeMillis(), ((ReadSession.Heartbeat) event).tail());
        },
        Optional.of(SseEvents.done()),
        SseEvents::error);
  }

  private CompletionStage<HttpResponse> startRead(
      ReadSession session,
      java.util.concurrent.atomic.AtomicInteger open,
      ContentType contentType,
      java.util.function.Function<ReadSession.Event, ByteString> encode,
      Optional<ByteString> normalEnd,
      java.util.function.Function<Throwable, ByteString> onError) {
    return session
        .open()
        .thenApply(
            notSatisfiable -> {
              if (notSatisfiable != null) {
                return ErrorMapper.rangeNotSatisfiable(notSatisfiable.tail());
              }
              Source<ByteString, NotUsed> events =
                  Source.unfoldAsync(
                      session,
                      s -> s.next().thenApply(e -> e.map(ev -> Pair.create(s, encode.apply(ev)))));
              return sessionResponse(
                  contentType,
                  withErrorEnd(events, normalEnd, onError)
                      .watchTermination(
                          (mat, finished) -> {
                            open.incrementAndGet();
                            finished.whenComplete(
                                (d, e) -> {
                                  open.decrementAndGet();
                                  session.close();
                                });
                            return mat;
                          }));
            });
  }

  /** The events, then the normal end marker, or the error frame/event if the session fails. */
  private static Source<ByteString, NotUsed> withErrorEnd(
      Source<ByteString, NotUsed> events,
      Optional<ByteString> normalEnd,
      java.util.function.Function<Throwable, ByteString> onError) {
    Source<ByteString, NotUsed> withEnd =
        normalEnd.map(end -> events.concat(Source.single(end))).orElse(events);
    return withEnd.recover(
        new PFBuilder<Throwable, ByteString>().match(Throwable.class, onError::apply).build());
  }

  private static HttpResponse sessionResponse(ContentType type, Source<ByteString, NotUsed> body) {
    return HttpResponse.create()
        .withStatus(200)
        .addHeader(RawHeader.create("Cache-Control", "no-cache, no-transform"))
        .addHeader(RawHeader.create("X-Accel-Buffering", "no"))
        .withEntity(HttpEntities.createChunked(type, body));
  }

  /** A terminal frame for a failure: its S2 status and JSON body. */
  static ByteString terminalFrame(Throwable t) {
    Pair<Integer, byte[]> e = errorBody(t);
    return S2sFrames.terminal(e.first(), e.second());
  }

  /** The status and JSON body a failure would have as a unary response. */
  static Pair<Integer, byte[]> errorBody(Throwable t) {
    Throwable cause = Failures.unwrap(t);
    if (cause instanceof S2Exception s) {
      return Pair.create(
          HttpStatuses.of(s.code()),
          JsonCodec.error(
              s.code().code(),
              ClientMessages.forStatus(HttpStatuses.of(s.code()), s.getMessage())));
    }
    log.warn("Streaming session failed unexpectedly", cause);
    return Pair.create(
        HttpStatuses.of(ErrorCode.OTHER),
        JsonCodec.error(ErrorCode.OTHER.code(), "internal error"));
  }
}
