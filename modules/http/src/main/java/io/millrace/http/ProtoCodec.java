package io.millrace.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.Header;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The protobuf forms of the S2 v1 API (spec section 7, generated classes in {@code s2.v1}) to and
 * from core types. A body that does not decode is 400 {@code bad_proto}. A uint64 at or above 2^63
 * (a negative Java long) saturates to {@link Long#MAX_VALUE}.
 */
final class ProtoCodec {
  private ProtoCodec() {}

  /**
   * Decodes an {@code AppendInput} body (unary request or S2S frame payload). The record bodies and
   * headers are copied once, into the core records: the protobuf is parsed with aliasing, so its
   * {@code bytes} fields are views of {@code body} (which must not change during the call) instead
   * of copies of their own.
   */
  static AppendInput appendInput(byte[] body) {
    s2.v1.AppendInput in;
    try {
      CodedInputStream input = UnsafeByteOperations.unsafeWrap(body).newCodedInput();
      input.enableAliasing(true);
      in = s2.v1.AppendInput.parseFrom(input);
      input.checkLastTagWas(0);
    } catch (IOException e) { // InvalidProtocolBufferException: the input is an array, not I/O
      throw new S2Exception(
          ErrorCode.BAD_PROTO, "malformed protobuf AppendInput: " + e.getMessage());
    }
    return appendInput(in);
  }

  static AppendInput appendInput(s2.v1.AppendInput in) {
    List<AppendRecord> records = new ArrayList<>(in.getRecordsCount());
    for (s2.v1.AppendRecord r : in.getRecordsList()) {
      List<Header> headers = new ArrayList<>(r.getHeadersCount());
      for (s2.v1.Header h : r.getHeadersList()) {
        headers.add(new Header(h.getName().toByteArray(), h.getValue().toByteArray()));
      }
      records.add(
          new AppendRecord(
              r.hasTimestamp() ? u64(r.getTimestamp()) : null, headers, r.getBody().toByteArray()));
    }
    return new AppendInput(
        records,
        in.hasMatchSeqNum() ? u64(in.getMatchSeqNum()) : null,
        in.hasFencingToken() ? in.getFencingToken() : null);
  }

  static s2.v1.AppendAck toProto(AppendAck ack) {
    return s2.v1.AppendAck.newBuilder()
        .setStart(toProto(ack.start()))
        .setEnd(toProto(ack.end()))
        .setTail(toProto(ack.tail()))
        .build();
  }

  static s2.v1.ReadBatch toProto(ReadBatch batch) {
    s2.v1.ReadBatch.Builder b = s2.v1.ReadBatch.newBuilder();
    for (SequencedRecord r : batch.records()) {
      s2.v1.SequencedRecord.Builder rb =
          s2.v1.SequencedRecord.newBuilder()
              .setSeqNum(r.seqNum())
              .setTimestamp(r.timestamp())
              .setBody(ByteString.copyFrom(r.body()));
      for (Header h : r.headers()) {
        rb.addHeaders(
            s2.v1.Header.newBuilder()
                .setName(ByteString.copyFrom(h.name()))
                .setValue(ByteString.copyFrom(h.value())));
      }
      b.addRecords(rb);
    }
    if (batch.tail() != null) {
      b.setTail(toProto(batch.tail()));
    }
    return b.build();
  }

  static s2.v1.StreamPosition toProto(StreamPosition p) {
    return s2.v1.StreamPosition.newBuilder()
        .setSeqNum(p.seqNum())
        .setTimestamp(p.timestamp())
        .build();
  }

  private static long u64(long wire) {
    return wire < 0 ? Long.MAX_VALUE : wire;
  }
}
