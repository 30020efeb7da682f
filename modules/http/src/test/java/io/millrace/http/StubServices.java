package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.LocationInfo;
import io.millrace.core.api.LocationService;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.RecordService;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.api.StreamService;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendValidation;
import io.millrace.core.record.StreamPosition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Hand-written stand-ins for the three services: each test sets canned answers per method name and
 * reads back the captured arguments. An answer may return a value, a {@link CompletionStage}, or
 * throw; a method without an answer fails with an AssertionError (which the edge turns into a 500).
 * Like the engine's {@code DataPlane}, {@code append} first checks the batch with {@link
 * AppendValidation} and fails with 422 {@code invalid} without recording or answering the call.
 */
final class StubServices implements BasinService, StreamService, RecordService, LocationService {

  /** One captured call. */
  record Invocation(String method, List<Object> args) {
    Object arg(int i) {
      return args.get(i);
    }
  }

  private final List<Invocation> invocations = new CopyOnWriteArrayList<>();
  private final Map<String, Function<Invocation, Object>> answers = new ConcurrentHashMap<>();

  void reset() {
    invocations.clear();
    answers.clear();
  }

  /** Sets the answer of a method. */
  StubServices on(String method, Function<Invocation, Object> answer) {
    answers.put(method, answer);
    return this;
  }

  /** Sets a constant answer. */
  StubServices answer(String method, Object value) {
    return on(method, inv -> value);
  }

  /** Sets an answer that fails with the given exception. */
  StubServices fail(String method, RuntimeException failure) {
    return on(
        method,
        inv -> {
          throw failure;
        });
  }

  List<Invocation> invocations() {
    return List.copyOf(invocations);
  }

  /** The single call of a method (asserts there was exactly one). */
  Invocation only(String method) {
    List<Invocation> calls = invocations.stream().filter(i -> i.method().equals(method)).toList();
    assertThat(calls).as("calls of " + method).hasSize(1);
    return calls.get(0);
  }

  @SuppressWarnings("unchecked")
  private <T> CompletionStage<T> call(String method, Object... args) {
    Invocation inv = new Invocation(method, java.util.Arrays.asList(args));
    invocations.add(inv);
    Function<Invocation, Object> answer = answers.get(method);
    if (answer == null) {
      return CompletableFuture.failedFuture(new AssertionError("unexpected call " + inv));
    }
    try {
      Object result = answer.apply(inv);
      if (result instanceof CompletionStage<?> stage) {
        return (CompletionStage<T>) stage;
      }
      return CompletableFuture.completedFuture((T) result);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<ListPage<BasinInfo>> listBasins(ListRequest request) {
    return call("listBasins", request);
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> createBasin(
      String basin, BasinConfig config, String location, String requestToken) {
    return call("createBasin", basin, config, requestToken, location);
  }

  @Override
  public CompletionStage<BasinConfig> getBasinConfig(String basin) {
    return call("getBasinConfig", basin);
  }

  @Override
  public CompletionStage<Provisioned<BasinInfo>> ensureBasin(
      String basin, BasinConfig config, String location) {
    return call("ensureBasin", basin, config, location);
  }

  @Override
  public CompletionStage<List<LocationInfo>> listLocations() {
    return call("listLocations");
  }

  @Override
  public CompletionStage<LocationInfo> getDefaultLocation() {
    return call("getDefaultLocation");
  }

  @Override
  public CompletionStage<LocationInfo> setDefaultLocation(String name) {
    return call("setDefaultLocation", name);
  }

  @Override
  public CompletionStage<BasinConfig> reconfigureBasin(String basin, BasinReconfiguration patch) {
    return call("reconfigureBasin", basin, patch);
  }

  @Override
  public CompletionStage<Void> deleteBasin(String basin) {
    return call("deleteBasin", basin);
  }

  @Override
  public CompletionStage<ListPage<StreamInfo>> listStreams(String basin, ListRequest request) {
    return call("listStreams", basin, request);
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> createStream(
      String basin, String stream, StreamConfig config, String requestToken) {
    return call("createStream", basin, stream, config, requestToken);
  }

  @Override
  public CompletionStage<StreamConfig> getStreamConfig(String basin, String stream) {
    return call("getStreamConfig", basin, stream);
  }

  @Override
  public CompletionStage<Provisioned<StreamInfo>> ensureStream(
      String basin, String stream, StreamConfig config) {
    return call("ensureStream", basin, stream, config);
  }

  @Override
  public CompletionStage<StreamConfig> reconfigureStream(
      String basin, String stream, StreamReconfiguration patch) {
    return call("reconfigureStream", basin, stream, patch);
  }

  @Override
  public CompletionStage<Void> deleteStream(String basin, String stream) {
    return call("deleteStream", basin, stream);
  }

  @Override
  public CompletionStage<AppendOutcome> append(
      String basin, String stream, AppendInput input, EncryptionKey key) {
    // Like the engine's DataPlane, the service checks the batch before anything else.
    try {
      AppendValidation.validate(input);
    } catch (S2Exception e) {
      return CompletableFuture.failedFuture(e);
    }
    return call("append", basin, stream, input);
  }

  @Override
  public CompletionStage<ReadOutcome> read(
      String basin, String stream, ReadRequest request, EncryptionKey key) {
    return call("read", basin, stream, request);
  }

  @Override
  public CompletionStage<StreamPosition> checkTail(String basin, String stream) {
    return call("checkTail", basin, stream);
  }

  @Override
  public CompletionStage<StreamPosition> tailForRead(
      String basin, String stream, EncryptionKey key) {
    return call("checkTail", basin, stream);
  }
}
