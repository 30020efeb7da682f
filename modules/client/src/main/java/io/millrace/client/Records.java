package io.millrace.client;

import com.google.protobuf.ByteString;
import io.millrace.client.proto.AppendInput;
import io.millrace.client.proto.AppendRecord;
import io.millrace.client.proto.Header;
import io.millrace.client.proto.SequencedRecord;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Helpers for records and appends: plain records, S2's command records (a single header with an
 * empty name; value {@code fence} with the new token as body, or {@code trim} with the 8-byte
 * big-endian seq num as body), and conditional appends ({@code match_seq_num}, {@code
 * fencing_token}).
 */
public final class Records {
  private Records() {}

  /** A record with a UTF-8 body, no headers, no timestamp (the server assigns one). */
  public static AppendRecord of(String body) {
    return of(body.getBytes(StandardCharsets.UTF_8));
  }

  public static AppendRecord of(byte[] body) {
    return AppendRecord.newBuilder().setBody(ByteString.copyFrom(body)).build();
  }

  /** A {@code fence} command record: later appends must carry {@code token} as fencing token. */
  public static AppendRecord fence(String token) {
    return command("fence", ByteString.copyFromUtf8(token));
  }

  /** A {@code trim} command record: records before {@code seqNum} become eligible for deletion. */
  public static AppendRecord trim(long seqNum) {
    return command("trim", ByteString.copyFrom(ByteBuffer.allocate(8).putLong(seqNum).array()));
  }

  private static AppendRecord command(String op, ByteString body) {
    return AppendRecord.newBuilder()
        .addHeaders(
            Header.newBuilder().setName(ByteString.EMPTY).setValue(ByteString.copyFromUtf8(op)))
        .setBody(body)
        .build();
  }

  /** Whether {@code r} is a command record (one header with an empty name). */
  public static boolean isCommand(SequencedRecord r) {
    return r.getHeadersCount() == 1 && r.getHeaders(0).getName().isEmpty();
  }

  /** An unconditional append of {@code records}. */
  public static AppendInput append(List<AppendRecord> records) {
    return AppendInput.newBuilder().addAllRecords(records).build();
  }

  /**
   * An append that lands only if the stream's tail is {@code matchSeqNum}, else fails with {@link
   * S2Error#SEQ_NUM_MISMATCH} and the tail in {@link S2Error#expectedSeqNum()}; such an append is
   * safe to retry.
   */
  public static AppendInput appendAt(long matchSeqNum, List<AppendRecord> records) {
    return AppendInput.newBuilder().addAllRecords(records).setMatchSeqNum(matchSeqNum).build();
  }

  /** {@code input} with {@code fencing_token} set: it lands only while the stream is so fenced. */
  public static AppendInput fenced(AppendInput input, String fencingToken) {
    return input.toBuilder().setFencingToken(fencingToken).build();
  }

  /** A record's body as UTF-8 text. */
  public static String bodyText(SequencedRecord r) {
    return r.getBody().toStringUtf8();
  }
}
