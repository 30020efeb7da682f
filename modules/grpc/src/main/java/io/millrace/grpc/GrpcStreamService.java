package io.millrace.grpc;

import io.millrace.core.Failures;
import io.millrace.core.Limits;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.AppendSession;
import io.millrace.core.api.AppendSessionService;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadStart;
import io.millrace.core.api.RecordService;
import io.millrace.core.auth.Principal;
import io.millrace.core.record.AppendInput;
import io.millrace.core.session.ReadSession;
import io.millrace.core.session.SequentialAppendSession;
import io.millrace.grpc.GrpcOperations.Method;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.grpc.javadsl.Metadata;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.japi.pf.PFBuilder;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import s2.v1alpha.AppendRequest;
import s2.v1alpha.AppendResponse;
import s2.v1alpha.AppendSessionRequest;
import s2.v1alpha.AppendSessionResponse;
import s2.v1alpha.CheckTailRequest;
import s2.v1alpha.CheckTailResponse;
import s2.v1alpha.ReadResponse;
import s2.v1alpha.ReadSessionRequest;
import s2.v1alpha.ReadSessionResponse;
import s2.v1alpha.StreamServicePowerApi;

/**
 * {@code s2.v1alpha.StreamService} over the core {@link RecordService}, the port the REST edge's
 * record endpoints use: appends are validated by the record service (the same {@code
 * AppendValidation}), append sessions go through the same {@link AppendSession} (pipelined when the
 * service offers it), and read sessions are the REST edge's {@link ReadSession} loop. Only the
 * shapes differ (docs/grpc.md). Every call is authenticated and scope-checked ({@link GrpcAuth})
 * before it touches the stream; fence and trim command records need their operations in every
 * batch, unary or in a session.
 */
final class GrpcStreamService implements StreamServicePowerApi {
  private static final Logger log = LoggerFactory.getLogger(GrpcStreamService.class);

  private final RecordService records;
  private final GrpcSettings settings;
  private final GrpcAuth auth;

  GrpcStreamService(RecordService records, GrpcSettings settings, GrpcAuth auth) {
    this.records = records;
    this.settings = settings;
    this.auth = auth;
  }

  @Override
  public CompletionStage<CheckTailResponse> checkTail(CheckTailRequest in, Metadata md) {
    return auth.onStream(
        md,
        Method.CHECK_TAIL,
        in.getStream(),
        call -> {
          String basin = call.basin();
          String stream = call.stream();
          return records.checkTail(basin, stream).thenApply(GrpcCodec::checkTail);
        });
  }

  @Override
  public CompletionStage<AppendResponse> append(AppendRequest in, Metadata md) {
    return auth.onStream(
        md,
        Method.APPEND,
        in.getInput().getStream(),
        call -> {
          String basin = call.basin();
          String stream = call.stream();
          AppendInput input = GrpcCodec.appendInput(in.getInput());
          call.principal().checkCommands(input);
          // The record service validates the batch (AppendValidation) before anything else.
          return records
              .append(basin, stream, input, GrpcCalls.encryptionKey(md))
              .thenApply(
                  outcome -> {
                    if (outcome instanceof AppendOutcome.Appended a) {
                      return AppendResponse.newBuilder()
                          .setOutput(GrpcCodec.appendOutput(a.ack()))
                          .build();
                    }
                    throw new GrpcErrors.AppendConditionFailed(outcome);
                  });
        });
  }

  @Override
  public CompletionStage<ReadResponse> read(s2.v1alpha.ReadRequest in, Metadata md) {
    return auth.onStream(
        md,
        Method.READ,
        in.getStream(),
        call -> {
          String basin = call.basin();
          String stream = call.stream();
          ReadStart start = GrpcCodec.readStart(in);
          Long until = in.hasUntil() ? GrpcCodec.u64(in.getUntil()) : null;
          GrpcCodec.checkUntil(start, until);
          // A unary read is bounded: at most 1000 records / 1 MiB, and it never waits.
          long count = Limits.MAX_BATCH_RECORDS;
          long bytes = Limits.MAX_BATCH_METERED_BYTES;
          if (in.hasLimit() && in.getLimit().hasCount()) {
            count = Math.min(count, GrpcCodec.u64(in.getLimit().getCount()));
          }
          if (in.hasLimit() && in.getLimit().hasBytes()) {
            bytes = Math.min(bytes, GrpcCodec.u64(in.getLimit().getBytes()));
          }
          var request =
              new io.millrace.core.api.ReadRequest(start, in.getClamp(), count, bytes, until, null);
          return records
              .read(basin, stream, request, GrpcCalls.encryptionKey(md))
              .thenApply(
                  outcome ->
                      ReadResponse.newBuilder()
                          .setOutput(
                              outcome instanceof ReadOutcome.Batch b
                                  ? GrpcCodec.batch(b.batch())
                                  : GrpcCodec.nextSeqNum(
                                      ((ReadOutcome.RangeNotSatisfiable) outcome).tail()))
                          .build());
        });
  }

  @Override
  public Source<ReadSessionResponse, NotUsed> readSession(ReadSessionRequest in, Metadata md) {
    return auth.session(md, p -> readSession(in, md, p));
  }

  private Source<ReadSessionResponse, NotUsed> readSession(
      ReadSessionRequest in, Metadata md, Principal p) {
    ReadSession session;
    try {
      String basin = GrpcCalls.basin(md);
      String stream = GrpcAuth.stream(p, in.getStream());
      GrpcAuth.check(p, Method.READ_SESSION, basin, stream);
      ReadStart start = GrpcCodec.readStart(in);
      Long until = in.hasUntil() ? GrpcCodec.u64(in.getUntil()) : null;
      GrpcCodec.checkUntil(start, until);
      Long count =
          in.hasLimit() && in.getLimit().hasCount()
              ? GrpcCodec.u64(in.getLimit().getCount())
              : null;
      Long bytes =
          in.hasLimit() && in.getLimit().hasBytes()
              ? GrpcCodec.u64(in.getLimit().getBytes())
              : null;
      session =
          new ReadSession(
              records,
              basin,
              stream,
              GrpcCalls.encryptionKey(md),
              new ReadSession.Params(start, in.getClamp(), count, bytes, until, null),
              new long[2],
              settings.timing(),
              System::currentTimeMillis);
    } catch (RuntimeException e) {
      return Source.failed(e);
    }
    boolean heartbeats = in.getHeartbeats();
    ReadSession reader = session;
    CompletionStage<Source<ReadSessionResponse, NotUsed>> opened =
        session
            .open()
            .thenApply(
                notSatisfiable -> {
                  if (notSatisfiable != null) {
                    // Past the tail (or at it, for a session that cannot follow): one terminal
                    // output with the tail, as s2.v1alpha specifies.
                    return Source.single(
                        ReadSessionResponse.newBuilder()
                            .setOutput(GrpcCodec.nextSeqNum(notSatisfiable.tail()))
                            .build());
                  }
                  return Source.unfoldAsync(
                          session,
                          s ->
                              s.next()
                                  .thenApply(
                                      (Optional<ReadSession.Event> e) ->
                                          e.map(ev -> Pair.create(s, ev))))
                      .filter(ev -> heartbeats || ev instanceof ReadSession.Batch)
                      .map(GrpcStreamService::readSessionResponse)
                      .watchTermination(
                          (mat, done) -> {
                            // A client that goes away frees its place at the tail at once.
                            done.whenComplete((d, e) -> reader.close());
                            return mat;
                          });
                });
    return Source.completionStageSource(opened).mapMaterializedValue(m -> NotUsed.getInstance());
  }

  private static ReadSessionResponse readSessionResponse(ReadSession.Event event) {
    if (event instanceof ReadSession.Batch b) {
      return ReadSessionResponse.newBuilder().setOutput(GrpcCodec.batch(b.batch())).build();
    }
    // A heartbeat: a response without output.
    return ReadSessionResponse.getDefaultInstance();
  }

  // ---------------------------------------------------------------- append sessions

  /** One input of an append session: a batch, or the error that ends the input. */
  private sealed interface Item {
    record Input(AppendInput input) implements Item {}

    record Bad(Throwable error) implements Item {}
  }

  /** The outcome of one batch: an ack, or the failure that ends the session. */
  private record Result(AppendOutcome outcome, Throwable error) {
    boolean ok() {
      return outcome instanceof AppendOutcome.Appended;
    }

    AppendSessionResponse response() {
      if (outcome instanceof AppendOutcome.Appended a) {
        return AppendSessionResponse.newBuilder()
            .setOutput(GrpcCodec.appendOutput(a.ack()))
            .build();
      }
      if (outcome != null) {
        throw new GrpcErrors.AppendConditionFailed(outcome);
      }
      throw error instanceof RuntimeException r ? r : new CompletionException(error);
    }
  }

  /**
   * Batches of one stream (named by the first input; later inputs may leave the name empty),
   * pipelined through an {@link AppendSession} up to {@code append-max-inflight}, acknowledged in
   * order. The first failure (a rejected or failed batch, a malformed or invalid input) ends the
   * call with its status after the acks of the batches before it; inputs after it are never
   * appended. A client that stops reading acks stops the session from taking inputs (HTTP/2 flow
   * control), so memory stays bounded.
   */
  @Override
  public Source<AppendSessionResponse, NotUsed> appendSession(
      Source<AppendSessionRequest, NotUsed> in, Metadata md) {
    return auth.session(md, p -> appendSession(in, md, p));
  }

  private Source<AppendSessionResponse, NotUsed> appendSession(
      Source<AppendSessionRequest, NotUsed> in, Metadata md, Principal p) {
    String basin;
    EncryptionKey key;
    try {
      basin = GrpcCalls.basin(md);
      GrpcAuth.check(p, Method.APPEND_SESSION, basin, null);
      key = GrpcCalls.encryptionKey(md);
    } catch (RuntimeException e) {
      return Source.failed(e);
    }
    return in.prefixAndTail(1)
        .flatMapConcat(
            pair -> {
              List<AppendSessionRequest> first = pair.first();
              if (first.isEmpty()) {
                return Source.<AppendSessionResponse>empty();
              }
              String stream;
              try {
                stream = GrpcAuth.stream(p, first.get(0).getInput().getStream());
                GrpcAuth.check(p, Method.APPEND_SESSION, basin, stream);
              } catch (RuntimeException e) {
                return Source.<AppendSessionResponse>failed(e);
              }
              return session(p, basin, stream, key, Source.from(first).concat(pair.second()));
            });
  }

  private Source<AppendSessionResponse, NotUsed> session(
      Principal p,
      String basin,
      String stream,
      EncryptionKey key,
      Source<AppendSessionRequest, NotUsed> inputs) {
    AppendSession session =
        records instanceof AppendSessionService s
            ? s.openAppendSession(basin, stream, key)
            : new SequentialAppendSession(records, basin, stream, key);
    boolean[] inputEnded = new boolean[1];
    return inputs
        .<Item>map(req -> new Item.Input(sessionInput(p, req, stream)))
        // A request stream that fails (an unreadable or oversized message) ends like a bad input.
        .recover(new PFBuilder<Throwable, Item>().match(Throwable.class, Item.Bad::new).build())
        .mapConcat(
            item -> {
              if (inputEnded[0]) {
                return List.of();
              }
              if (item instanceof Item.Bad) {
                inputEnded[0] = true;
              }
              return List.of(item);
            })
        .mapAsync(
            settings.appendMaxInflight(),
            item -> {
              if (item instanceof Item.Bad bad) {
                return CompletableFuture.completedFuture(
                    new Result(null, Failures.unwrap(bad.error())));
              }
              return session
                  .submit(((Item.Input) item).input())
                  .handle(
                      (outcome, err) ->
                          err != null
                              ? new Result(null, Failures.unwrap(err))
                              : new Result(outcome, null));
            })
        .takeWhile(Result::ok, true)
        .map(Result::response)
        .watchTermination(
            (mat, done) -> {
              done.whenComplete(
                  (d, err) -> {
                    session.close();
                    if (err != null) {
                      log.debug(
                          "gRPC append session on {}/{} ended: {}", basin, stream, err.toString());
                    }
                  });
              return mat;
            });
  }

  /**
   * A session input: its stream must be empty or the session's (422 otherwise), and its fence or
   * trim command records need their operations (403).
   */
  private static AppendInput sessionInput(Principal p, AppendSessionRequest req, String stream) {
    String named = req.getInput().getStream();
    if (!named.isEmpty() && !p.qualifyStream(named).equals(stream)) {
      throw S2Exception.invalid(
          "an append session appends to one stream: '"
              + named
              + "' is not '"
              + p.unqualifyStream(stream)
              + "'");
    }
    AppendInput input = GrpcCodec.appendInput(req.getInput());
    p.checkCommands(input);
    return input;
  }
}
