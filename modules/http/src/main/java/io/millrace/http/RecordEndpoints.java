package io.millrace.http;

import com.google.protobuf.MessageLite;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.EncryptionKey;
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

  /** The header that carries the key of an encrypted stream (spec section 2.6). */
  static final String ENCRYPTION_KEY_HEADER = "s2-encryption-key";

  /**
   * The request's encryption key, null without the header; 400 {@code bad_header} when it is not
   * base64 of 32 bytes (the message never repeats the value).
   */
  static EncryptionKey encryptionKey(Call call) {
    return EncryptionKey.fromBase64(call.header(ENCRYPTION_KEY_HEADER), ENCRYPTION_KEY_HEADER);
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
    EncryptionKey key = encryptionKey(call);
    if (content == Media.Kind.S2S) {
      return sessions.s2sAppendSession(call, basin, stream, key);
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
        .append(basin, stream, input, key)
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
    EncryptionKey key = encryptionKey(call);
    if (Media.contentKind(request) == Media.Kind.S2S) {
      return sessions.s2sReadSession(call, basin, stream, key);
    }
    Media.Kind accept = Media.acceptKind(request);
    if (accept == Media.Kind.EVENT_STREAM) {
      return sessions.sseReadSession(call, basin, stream, key);
    }
    RecordFormat format = RecordFormat.fromHeader(call.header(RecordFormat.HEADER));
    ReadRequest readRequest = Queries.unaryReadRequest(call.query());
    return records
        .read(basin, stream, readRequest, key)
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
