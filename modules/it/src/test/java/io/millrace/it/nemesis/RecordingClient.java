package io.millrace.it.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.millrace.it.S2Client;
import io.millrace.verification.AppendRecord;
import io.millrace.verification.Call;
import io.millrace.verification.HistoryRecorder;
import io.millrace.verification.Outcome;
import io.millrace.verification.RecordHash;
import io.millrace.verification.SequencedRecord;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import s2.v1.AppendAck;
import s2.v1.AppendInput;
import s2.v1.Header;
import s2.v1.ReadBatch;

/**
 * Sends S2 requests through one {@link S2Client} and records each one in a {@link HistoryRecorder}:
 * the invocation just before the request leaves, the outcome as soon as the answer (or failure)
 * arrives, classified by what it guarantees:
 *
 * <ul>
 *   <li>200 → acked / records / tail; 412 → the mismatch with the body's tail or token; 416 → out
 *       of range with the body's tail;
 *   <li>statuses with no side effect (4xx other than 408, 502, 503) and failures before the request
 *       was sent (connection refused, connect timeout) → failed;
 *   <li>408, 500, 504, any other status, a request timeout or a broken connection → indefinite.
 * </ul>
 */
final class RecordingClient {
  /** What the client learned from an answer, for the workload to choose its next conditions. */
  record Learned(OptionalLong tail, Optional<String> token) {
    static final Learned NOTHING = new Learned(OptionalLong.empty(), Optional.empty());
  }

  private final S2Client http;
  private final HistoryRecorder recorder;
  private final String basin;
  private final Duration timeout;

  RecordingClient(S2Client http, HistoryRecorder recorder, String basin, Duration timeout) {
    this.http = http;
    this.recorder = recorder;
    this.basin = basin;
    this.timeout = timeout;
  }

  /** A data record body as the workload appends it. */
  static s2.v1.AppendRecord dataRecord(String body) {
    return s2.v1.AppendRecord.newBuilder().setBody(ByteString.copyFromUtf8(body)).build();
  }

  /** A fence command record setting {@code token}. */
  static s2.v1.AppendRecord fenceRecord(String token) {
    return s2.v1.AppendRecord.newBuilder()
        .addHeaders(
            Header.newBuilder()
                .setName(ByteString.EMPTY)
                .setValue(ByteString.copyFromUtf8("fence")))
        .setBody(ByteString.copyFromUtf8(token))
        .build();
  }

  /** The history's view of a record the workload built. */
  static AppendRecord historyRecord(s2.v1.AppendRecord record) {
    if (record.getHeadersCount() == 1 && record.getHeaders(0).getName().isEmpty()) {
      String command = record.getHeaders(0).getValue().toStringUtf8();
      if (command.equals("fence")) {
        return new AppendRecord.Fence(record.getBody().toStringUtf8());
      }
    }
    return new AppendRecord.Data(historyHash(record.getHeadersList(), record.getBody()));
  }

  static long historyHash(List<Header> headers, ByteString body) {
    List<RecordHash.Header> list = new ArrayList<>(headers.size());
    for (Header header : headers) {
      list.add(
          new RecordHash.Header(header.getName().toByteArray(), header.getValue().toByteArray()));
    }
    return RecordHash.of(list, body.toByteArray());
  }

  /** Appends {@code input} to {@code stream}, recorded as client {@code client}. */
  Learned append(int client, String stream, AppendInput input) {
    List<AppendRecord> records = new ArrayList<>();
    for (s2.v1.AppendRecord record : input.getRecordsList()) {
      records.add(historyRecord(record));
    }
    Call.Append call = Call.Append.of(stream, records);
    if (input.hasMatchSeqNum()) {
      call = call.withMatchSeqNum(input.getMatchSeqNum());
    }
    if (input.hasFencingToken()) {
      call = call.withFencingToken(input.getFencingToken());
    }
    HttpRequest request =
        http.request(S2Client.streamPath(stream) + "/records", basin)
            .timeout(timeout)
            .header("content-type", "application/protobuf")
            .header("accept", "application/protobuf")
            .POST(HttpRequest.BodyPublishers.ofByteArray(input.toByteArray()))
            .build();
    HistoryRecorder.Invocation invocation = recorder.invoke(client, call);
    S2Client.Response response;
    try {
      response = http.send(request);
    } catch (IOException e) {
      recorder.complete(invocation, failure(e));
      return Learned.NOTHING;
    }
    int status = response.status();
    if (status == 200) {
      AppendAck ack;
      try {
        ack = AppendAck.parseFrom(response.body());
      } catch (InvalidProtocolBufferException e) {
        recorder.complete(invocation, new Outcome.Indefinite("undecodable ack"));
        return Learned.NOTHING;
      }
      recorder.complete(
          invocation, new Outcome.Acked(ack.getStart().getSeqNum(), ack.getEnd().getSeqNum()));
      return new Learned(OptionalLong.of(ack.getTail().getSeqNum()), Optional.empty());
    }
    if (status == 412) {
      JsonNode body = jsonOrNull(response);
      if (body != null && body.has("seq_num_mismatch")) {
        long tail = body.get("seq_num_mismatch").asLong();
        recorder.complete(invocation, new Outcome.SeqNumMismatch(tail));
        return new Learned(OptionalLong.of(tail), Optional.empty());
      }
      if (body != null && body.has("fencing_token_mismatch")) {
        String token = body.get("fencing_token_mismatch").asText();
        recorder.complete(invocation, new Outcome.FencingTokenMismatch(Optional.of(token)));
        return new Learned(OptionalLong.empty(), Optional.of(token));
      }
      recorder.complete(invocation, new Outcome.Indefinite("412 " + response.text()));
      return Learned.NOTHING;
    }
    recorder.complete(invocation, byStatus(response));
    return Learned.NOTHING;
  }

  /**
   * Reads from {@code startSeqNum} with at most {@code count} records, waiting up to {@code
   * waitSeconds} at the tail (0: a plain read). A plain read records {@code count} as its limit:
   * the workload's records are small, so only the count can cut a plain read short, and one that
   * returns fewer records claims it reached the tail. A long-poll answers with the first records
   * that arrive, so it claims nothing.
   */
  Learned read(int client, String stream, long startSeqNum, int count, int waitSeconds) {
    Call.Read call =
        waitSeconds > 0
            ? Call.Read.from(stream, startSeqNum)
            : Call.Read.from(stream, startSeqNum, count);
    String query = "?seq_num=" + startSeqNum + "&count=" + count;
    if (waitSeconds > 0) {
      query += "&wait=" + waitSeconds;
    }
    HttpRequest request =
        http.request(S2Client.streamPath(stream) + "/records" + query, basin)
            .timeout(timeout.plusSeconds(waitSeconds))
            .header("accept", "application/protobuf")
            .GET()
            .build();
    HistoryRecorder.Invocation invocation = recorder.invoke(client, call);
    S2Client.Response response;
    try {
      response = http.send(request);
    } catch (IOException e) {
      recorder.complete(invocation, failure(e));
      return Learned.NOTHING;
    }
    if (response.status() == 200) {
      ReadBatch batch;
      try {
        batch = ReadBatch.parseFrom(response.body());
      } catch (InvalidProtocolBufferException e) {
        recorder.complete(invocation, new Outcome.Indefinite("undecodable read batch"));
        return Learned.NOTHING;
      }
      List<SequencedRecord> records = new ArrayList<>();
      for (s2.v1.SequencedRecord record : batch.getRecordsList()) {
        records.add(
            new SequencedRecord(
                record.getSeqNum(), historyHash(record.getHeadersList(), record.getBody())));
      }
      OptionalLong tail =
          batch.hasTail() ? OptionalLong.of(batch.getTail().getSeqNum()) : OptionalLong.empty();
      recorder.complete(invocation, new Outcome.Records(records, tail));
      long end = records.isEmpty() ? -1 : records.get(records.size() - 1).seqNum() + 1;
      return new Learned(
          tail.isPresent() ? tail : end < 0 ? OptionalLong.empty() : OptionalLong.of(end),
          Optional.empty());
    }
    if (response.status() == 416) {
      JsonNode body = jsonOrNull(response);
      if (body != null && body.has("tail")) {
        long tail = body.get("tail").get("seq_num").asLong();
        recorder.complete(invocation, new Outcome.OutOfRange(tail));
        return new Learned(OptionalLong.of(tail), Optional.empty());
      }
    }
    recorder.complete(invocation, byStatus(response));
    return Learned.NOTHING;
  }

  /** Checks the tail of {@code stream}. */
  Learned checkTail(int client, String stream) {
    HttpRequest request =
        http.request(S2Client.streamPath(stream) + "/records/tail", basin)
            .timeout(timeout)
            .GET()
            .build();
    HistoryRecorder.Invocation invocation = recorder.invoke(client, new Call.CheckTail(stream));
    S2Client.Response response;
    try {
      response = http.send(request);
    } catch (IOException e) {
      recorder.complete(invocation, failure(e));
      return Learned.NOTHING;
    }
    if (response.status() == 200) {
      JsonNode body = jsonOrNull(response);
      if (body != null && body.has("tail")) {
        long tail = body.get("tail").get("seq_num").asLong();
        recorder.complete(invocation, new Outcome.Tail(tail));
        return new Learned(OptionalLong.of(tail), Optional.empty());
      }
      recorder.complete(invocation, new Outcome.Indefinite("unparsable tail " + response.text()));
      return Learned.NOTHING;
    }
    recorder.complete(invocation, byStatus(response));
    return Learned.NOTHING;
  }

  /** A failure with no answer: failed if the request surely never left, else indefinite. */
  static Outcome failure(IOException e) {
    if (e instanceof ConnectException || e instanceof HttpConnectTimeoutException) {
      return new Outcome.Failed(e.getClass().getSimpleName());
    }
    if (e instanceof HttpTimeoutException) {
      return new Outcome.Indefinite("timeout");
    }
    return new Outcome.Indefinite(e.getClass().getSimpleName() + ": " + e.getMessage());
  }

  /** An error status other than 412/416, by the S2 error table. */
  static Outcome byStatus(S2Client.Response response) {
    int status = response.status();
    String reason = status + " " + code(response);
    boolean noSideEffect =
        (status >= 400 && status < 500 && status != 408 && status != 499)
            || status == 502
            || status == 503;
    return noSideEffect ? new Outcome.Failed(reason) : new Outcome.Indefinite(reason);
  }

  private static String code(S2Client.Response response) {
    JsonNode body = jsonOrNull(response);
    if (body != null && body.has("code")) {
      return body.get("code").asText();
    }
    String text = new String(response.body(), StandardCharsets.UTF_8);
    return text.length() > 80 ? text.substring(0, 80) : text;
  }

  private static JsonNode jsonOrNull(S2Client.Response response) {
    try {
      return S2Client.JSON.readTree(response.body());
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
