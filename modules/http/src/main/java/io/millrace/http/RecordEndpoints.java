package io.millrace.http;

import com.google.protobuf.MessageLite;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.RecordService;
import io.millrace.core.record.AppendInput;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The unary data plane (spec sections 6.1 to 6.3): append, read, check tail, with JSON or protobuf
 * bodies by content negotiation. Streaming sessions are handed to {@link StreamingSessions}.
 */
final class RecordEndpoints {
  private final RecordService records;
  private final StreamingSessions sessions;

  RecordEndpoints(RecordService records, StreamingSessions sessions) {
    this.records = records;
    this.sessions = sessions;
  }

  /** Whether a records request opens a session whose body must not be read up front. */
  static boolean isS2sSession(HttpRequest request) {
    return Media.contentKind(request) == Media.Kind.S2S;
  }

  CompletionStage<HttpResponse> append(Call call, String name) {
    String basin = call.basinFromHeader();
    String stream = Call.streamFromPath(name);
    HttpRequest request = call.request();
    Media.Kind content = Media.contentKind(request);
    if (content == Media.Kind.S2S) {
      return sessions.s2sAppendSession(call, basin, stream);
    }
    RecordFormat format = RecordFormat.fromHeader(call.header(RecordFormat.HEADER));
    AppendInput input;
    if (content == Media.Kind.PROTOBUF) {
      input = ProtoCodec.appendInput(call.protobufBody());
    } else if (content == Media.Kind.JSON) {
      input = JsonCodec.appendInput(call.jsonBody(false), format);
    } else {
      String ct = Media.contentType(request);
      throw new S2Exception(
          ErrorCode.BAD_JSON,
          "expected Content-Type: application/json or application/protobuf, got "
              + (ct == null ? "none" : ct));
    }
    call.principal().checkCommands(input);
    // The record service validates the batch (AppendValidation) before anything else: 422 invalid.
    return records
        .append(basin, stream, input)
        .thenApply(
            outcome -> {
              if (outcome instanceof AppendOutcome.Appended a) {
                return ok(
                    request, () -> ProtoCodec.toProto(a.ack()), () -> JsonCodec.appendAck(a.ack()));
              }
              return ErrorMapper.appendConditionFailed(outcome);
            });
  }

  CompletionStage<HttpResponse> read(Call call, String name) {
    String basin = call.basinFromHeader();
    String stream = Call.streamFromPath(name);
    HttpRequest request = call.request();
    if (Media.contentKind(request) == Media.Kind.S2S) {
      return sessions.s2sReadSession(call, basin, stream);
    }
    Media.Kind accept = Media.acceptKind(request);
    if (accept == Media.Kind.EVENT_STREAM) {
      return sessions.sseReadSession(call, basin, stream);
    }
    RecordFormat format = RecordFormat.fromHeader(call.header(RecordFormat.HEADER));
    ReadRequest readRequest = Queries.unaryReadRequest(call.query());
    return records
        .read(basin, stream, readRequest)
        .thenApply(
            outcome -> {
              if (outcome instanceof ReadOutcome.Batch b) {
                return ok(
                    request,
                    () -> ProtoCodec.toProto(b.batch()),
                    () -> JsonCodec.readBatch(b.batch(), format));
              }
              return ErrorMapper.rangeNotSatisfiable(
                  ((ReadOutcome.RangeNotSatisfiable) outcome).tail());
            });
  }

  /**
   * A 200 answer in protobuf when the request accepts it first, else in JSON: only that one is
   * encoded.
   */
  private static HttpResponse ok(
      HttpRequest request, Supplier<? extends MessageLite> proto, Supplier<byte[]> json) {
    return Media.acceptKind(request) == Media.Kind.PROTOBUF
        ? Responses.bytes(200, Media.protobufResponseType(request), proto.get().toByteArray())
        : Responses.json(200, json.get());
  }

  CompletionStage<HttpResponse> checkTail(Call call, String name) {
    String basin = call.basinFromHeader();
    String stream = Call.streamFromPath(name);
    return records
        .checkTail(basin, stream)
        .thenApply(tail -> Responses.json(200, JsonCodec.tail(tail)));
  }
}
