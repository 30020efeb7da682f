package io.millrace.http;

import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.BasinService;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.api.StreamService;
import io.millrace.core.auth.AccessRequest;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.Principal;
import io.millrace.core.auth.ScopedLists;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Basins and streams (spec sections 4.1 and 4.2): JSON in, JSON out. */
final class ControlPlaneEndpoints {
  private final BasinService basins;
  private final StreamService streams;

  ControlPlaneEndpoints(BasinService basins, StreamService streams) {
    this.basins = basins;
    this.streams = streams;
  }

  // ---- basins

  CompletionStage<HttpResponse> listBasins(Call call) {
    var request = Queries.listRequest(call.query(), true);
    return ScopedLists.list(
            call.principal().token().scope().basins(), request, basins::listBasins, BasinInfo::name)
        .thenApply(page -> Responses.json(200, JsonCodec.basinList(page)));
  }

  CompletionStage<HttpResponse> createBasin(Call call) {
    String token = call.requestToken();
    JsonCodec.CreateBasinRequest req = JsonCodec.createBasinRequest(call.jsonBody(false));
    call.principal().check(new AccessRequest(Operation.CREATE_BASIN, req.basin(), null, null));
    req.config().validate();
    return basins
        .createBasin(req.basin(), req.config(), req.location(), token)
        .thenApply(p -> provisioned(201, p, JsonCodec::basinInfo));
  }

  CompletionStage<HttpResponse> getBasinConfig(Call call, String name) {
    String basin = Call.basinFromPath(name);
    return basins
        .getBasinConfig(basin)
        .thenApply(c -> Responses.json(200, JsonCodec.basinConfig(c)));
  }

  CompletionStage<HttpResponse> ensureBasin(Call call, String name) {
    String basin = Call.basinFromPath(name);
    byte[] body = call.jsonBody(true);
    JsonCodec.EnsureBasinRequest req =
        body == null
            ? new JsonCodec.EnsureBasinRequest(BasinConfig.DEFAULT, null)
            : JsonCodec.ensureBasinRequest(body);
    req.config().validate();
    return basins
        .ensureBasin(basin, req.config(), req.location())
        .thenApply(p -> provisioned(ensureStatus(p), p, JsonCodec::basinInfo));
  }

  CompletionStage<HttpResponse> reconfigureBasin(Call call, String name) {
    String basin = Call.basinFromPath(name);
    BasinReconfiguration patch = JsonCodec.basinReconfiguration(call.jsonBody(false));
    // Values being set must be valid on their own (e.g. retention age 0 is 422).
    patch.applyTo(BasinConfig.DEFAULT).validate();
    return basins
        .reconfigureBasin(basin, patch)
        .thenApply(c -> Responses.json(200, JsonCodec.basinConfig(c)));
  }

  CompletionStage<HttpResponse> deleteBasin(Call call, String name) {
    String basin = Call.basinFromPath(name);
    return basins.deleteBasin(basin).thenApply(v -> Responses.empty(202));
  }

  // ---- streams

  CompletionStage<HttpResponse> listStreams(Call call) {
    String basin = call.basinFromHeader();
    var asked = Queries.listRequest(call.query(), false);
    Principal p = call.principal();
    // auto_prefix_streams: the client's filters are relative to the prefix, and so are the names.
    var request =
        new ListRequest(
            p.qualifyStream(asked.prefix()),
            asked.startAfter().isEmpty() ? "" : p.qualifyStream(asked.startAfter()),
            asked.limit());
    return ScopedLists.list(
            p.token().scope().streams(),
            request,
            r -> streams.listStreams(basin, r),
            StreamInfo::name)
        .thenApply(
            page ->
                new ListPage<>(
                    page.items().stream().map(i -> unqualified(p, i)).toList(), page.hasMore()))
        .thenApply(page -> Responses.json(200, JsonCodec.streamList(page)));
  }

  CompletionStage<HttpResponse> createStream(Call call) {
    String basin = call.basinFromHeader();
    String token = call.requestToken();
    JsonCodec.CreateStreamRequest req = JsonCodec.createStreamRequest(call.jsonBody(false));
    Principal principal = call.principal();
    String stream = principal.qualifyStream(req.stream());
    if (!stream.equals(req.stream())) {
      String problem = io.millrace.core.Names.streamNameProblem(stream);
      if (problem != null) {
        throw JsonCodec.badJson("stream: " + problem);
      }
    }
    principal.check(new AccessRequest(Operation.CREATE_STREAM, basin, stream, null));
    req.config().validate();
    return streams
        .createStream(basin, stream, req.config(), token)
        .thenApply(p -> provisioned(201, p, i -> JsonCodec.streamInfo(unqualified(principal, i))));
  }

  CompletionStage<HttpResponse> getStreamConfig(Call call, String name) {
    String basin = call.basinFromHeader();
    String stream = Call.streamFromPath(name);
    return streams
        .getStreamConfig(basin, stream)
        .thenApply(c -> Responses.json(200, JsonCodec.streamConfig(c)));
  }

  CompletionStage<HttpResponse> ensureStream(Call call, String name) {
    String basin = call.basinFromHeader();
    String stream = Call.streamFromPath(name);
    byte[] body = call.jsonBody(true);
    StreamConfig config = body == null ? StreamConfig.EMPTY : JsonCodec.streamConfig(body);
    config.validate();
    Principal principal = call.principal();
    return streams
        .ensureStream(basin, stream, config)
        .thenApply(
            p ->
                provisioned(
                    ensureStatus(p), p, i -> JsonCodec.streamInfo(unqualified(principal, i))));
  }

  CompletionStage<HttpResponse> reconfigureStream(Call call, String name) {
    String basin = call.basinFromHeader();
    String stream = Call.streamFromPath(name);
    StreamReconfiguration patch = JsonCodec.streamReconfiguration(call.jsonBody(false));
    // Values being set must be valid on their own (e.g. retention age 0 is 422).
    patch.applyTo(StreamConfig.EMPTY).validate();
    return streams
        .reconfigureStream(basin, stream, patch)
        .thenApply(c -> Responses.json(200, JsonCodec.streamConfig(c)));
  }

  CompletionStage<HttpResponse> deleteStream(Call call, String name) {
    String basin = call.basinFromHeader();
    String stream = Call.streamFromPath(name);
    return streams.deleteStream(basin, stream).thenApply(v -> Responses.empty(202));
  }

  // ---- helpers

  /** A stream as the caller knows it: without its token's auto prefix. */
  private static StreamInfo unqualified(Principal p, StreamInfo i) {
    String name = p.unqualifyStream(i.name());
    return name.equals(i.name())
        ? i
        : new StreamInfo(name, i.createdAt(), i.deletedAt(), i.cipher());
  }

  /** Ensure: 201 when created, else 200 (updated or noop). */
  private static int ensureStatus(Provisioned<?> p) {
    return p.result() == io.millrace.core.api.ProvisionResult.CREATED ? 201 : 200;
  }

  private static <T> HttpResponse provisioned(
      int status, Provisioned<T> p, Function<T, byte[]> render) {
    HttpResponse r = Responses.json(status, render.apply(p.info()));
    return Responses.withHeader(r, Responses.PROVISION_RESULT, p.result().wire());
  }
}
