package io.millrace.grpc;

import com.google.protobuf.ByteString;
import io.millrace.core.ErrorCode;
import io.millrace.core.Limits;
import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.Header;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Mapping between the s2.v1alpha messages and the core types (docs/grpc.md has the table). Only
 * shapes are checked here: unknown enum values are 400 {@code bad_proto}; batches, names and
 * configs are validated by the services behind the edge, exactly as for REST. A uint64 at or above
 * 2^63 (a negative Java long) saturates to {@link Long#MAX_VALUE}, as in the HTTP edge.
 */
final class GrpcCodec {
  private GrpcCodec() {}

  static final String US_EAST_1 = "aws:us-east-1";

  // ---------------------------------------------------------------- records

  static AppendInput appendInput(s2.v1alpha.AppendInput in) {
    List<AppendRecord> records = new ArrayList<>(in.getRecordsCount());
    for (s2.v1alpha.AppendRecord r : in.getRecordsList()) {
      records.add(
          new AppendRecord(
              r.hasTimestamp() ? u64(r.getTimestamp()) : null,
              headers(r.getHeadersList()),
              r.getBody().toByteArray()));
    }
    return new AppendInput(
        records,
        in.hasMatchSeqNum() ? u64(in.getMatchSeqNum()) : null,
        in.hasFencingToken() ? in.getFencingToken() : null);
  }

  private static List<Header> headers(List<s2.v1alpha.Header> in) {
    List<Header> out = new ArrayList<>(in.size());
    for (s2.v1alpha.Header h : in) {
      out.add(new Header(h.getName().toByteArray(), h.getValue().toByteArray()));
    }
    return out;
  }

  static s2.v1alpha.AppendOutput appendOutput(AppendAck ack) {
    return s2.v1alpha.AppendOutput.newBuilder()
        .setStartSeqNum(ack.start().seqNum())
        .setStartTimestamp(ack.start().timestamp())
        .setEndSeqNum(ack.end().seqNum())
        .setEndTimestamp(ack.end().timestamp())
        .setNextSeqNum(ack.tail().seqNum())
        .setLastTimestamp(ack.tail().timestamp())
        .build();
  }

  static s2.v1alpha.CheckTailResponse checkTail(StreamPosition tail) {
    return s2.v1alpha.CheckTailResponse.newBuilder()
        .setNextSeqNum(tail.seqNum())
        .setLastTimestamp(tail.timestamp())
        .build();
  }

  static s2.v1alpha.ReadOutput batch(ReadBatch batch) {
    s2.v1alpha.SequencedRecordBatch.Builder b = s2.v1alpha.SequencedRecordBatch.newBuilder();
    for (SequencedRecord r : batch.records()) {
      s2.v1alpha.SequencedRecord.Builder rb =
          s2.v1alpha.SequencedRecord.newBuilder()
              .setSeqNum(r.seqNum())
              .setTimestamp(r.timestamp())
              .setBody(ByteString.copyFrom(r.body()));
      for (Header h : r.headers()) {
        rb.addHeaders(
            s2.v1alpha.Header.newBuilder()
                .setName(ByteString.copyFrom(h.name()))
                .setValue(ByteString.copyFrom(h.value())));
      }
      b.addRecords(rb);
    }
    return s2.v1alpha.ReadOutput.newBuilder().setBatch(b).build();
  }

  static s2.v1alpha.ReadOutput nextSeqNum(StreamPosition tail) {
    return s2.v1alpha.ReadOutput.newBuilder().setNextSeqNum(tail.seqNum()).build();
  }

  /** The start of a read: none given means the tail (a tail offset of 0), as in REST. */
  static ReadStart readStart(s2.v1alpha.ReadRequest in) {
    return switch (in.getStartCase()) {
      case SEQ_NUM -> new ReadStart.SeqNum(u64(in.getSeqNum()));
      case TIMESTAMP -> new ReadStart.Timestamp(u64(in.getTimestamp()));
      case TAIL_OFFSET -> new ReadStart.TailOffset(u64(in.getTailOffset()));
      case START_NOT_SET -> new ReadStart.TailOffset(0);
    };
  }

  static ReadStart readStart(s2.v1alpha.ReadSessionRequest in) {
    return switch (in.getStartCase()) {
      case SEQ_NUM -> new ReadStart.SeqNum(u64(in.getSeqNum()));
      case TIMESTAMP -> new ReadStart.Timestamp(u64(in.getTimestamp()));
      case TAIL_OFFSET -> new ReadStart.TailOffset(u64(in.getTailOffset()));
      case START_NOT_SET -> new ReadStart.TailOffset(0);
    };
  }

  /** 422 for a timestamp start with {@code until} at or before it (spec section 6.2). */
  static void checkUntil(ReadStart start, Long until) {
    if (start instanceof ReadStart.Timestamp t && until != null && until <= t.timestamp()) {
      throw S2Exception.invalid(
          "until (" + until + ") must be greater than the start timestamp (" + t.timestamp() + ")");
    }
  }

  // ---------------------------------------------------------------- lists and infos

  /** A list request: a limit that is absent, 0 or above 1000 becomes 1000, as in REST. */
  static ListRequest listRequest(String prefix, String startAfter, boolean hasLimit, long limit) {
    long l = u64(limit);
    int effective =
        !hasLimit || l == 0 || l > Limits.MAX_LIST_LIMIT ? Limits.MAX_LIST_LIMIT : (int) l;
    return new ListRequest(prefix, startAfter, effective);
  }

  static s2.v1alpha.ListBasinsResponse basinList(ListPage<BasinInfo> page) {
    s2.v1alpha.ListBasinsResponse.Builder b =
        s2.v1alpha.ListBasinsResponse.newBuilder().setHasMore(page.hasMore());
    for (BasinInfo info : page.items()) {
      b.addBasins(basinInfo(info));
    }
    return b.build();
  }

  static s2.v1alpha.BasinInfo basinInfo(BasinInfo info) {
    return s2.v1alpha.BasinInfo.newBuilder()
        .setName(info.name())
        .setState(
            info.deletedAt() == null
                ? s2.v1alpha.BasinState.BASIN_STATE_ACTIVE
                : s2.v1alpha.BasinState.BASIN_STATE_DELETING)
        .setScope(
            US_EAST_1.equals(info.location())
                ? s2.v1alpha.BasinScope.BASIN_SCOPE_AWS_US_EAST_1
                : s2.v1alpha.BasinScope.BASIN_SCOPE_UNSPECIFIED)
        .build();
  }

  static s2.v1alpha.ListStreamsResponse streamList(ListPage<StreamInfo> page) {
    s2.v1alpha.ListStreamsResponse.Builder b =
        s2.v1alpha.ListStreamsResponse.newBuilder().setHasMore(page.hasMore());
    for (StreamInfo info : page.items()) {
      b.addStreams(streamInfo(info));
    }
    return b.build();
  }

  static s2.v1alpha.StreamInfo streamInfo(StreamInfo info) {
    s2.v1alpha.StreamInfo.Builder b =
        s2.v1alpha.StreamInfo.newBuilder()
            .setName(info.name())
            .setCreatedAt(epochSeconds(info.createdAt()));
    if (info.deletedAt() != null) {
      b.setDeletedAt(epochSeconds(info.deletedAt()));
    }
    return b.build();
  }

  /** Seconds since the epoch as the wire's uint32 (saturating). */
  static int epochSeconds(Instant t) {
    long s = t == null ? 0 : Math.max(0, t.getEpochSecond());
    return (int) Math.min(s, 0xFFFF_FFFFL);
  }

  // ---------------------------------------------------------------- configs

  /** A (possibly partial) stream config; unset fields stay null. */
  static StreamConfig streamConfig(s2.v1alpha.StreamConfig in) {
    return new StreamConfig(
        storageClass(in),
        in.getRetentionPolicyCase() == s2.v1alpha.StreamConfig.RetentionPolicyCase.AGE
            ? retention(in.getAge())
            : null,
        in.hasTimestamping() ? timestamping(in.getTimestamping()) : null,
        in.hasDeleteOnEmpty()
            ? new DeleteOnEmpty(u64(in.getDeleteOnEmpty().getMinAgeSecs()))
            : null);
  }

  static StorageClass storageClass(s2.v1alpha.StreamConfig in) {
    return switch (in.getStorageClass()) {
      case STORAGE_CLASS_UNSPECIFIED -> null;
      case STORAGE_CLASS_STANDARD -> StorageClass.STANDARD;
      case STORAGE_CLASS_EXPRESS -> StorageClass.EXPRESS;
      case UNRECOGNIZED -> throw unknownEnum("storage_class", in.getStorageClassValue());
    };
  }

  /** v1alpha: an age of 0 means infinite retention. */
  static RetentionPolicy retention(long age) {
    return age == 0 ? RetentionPolicy.INFINITE : RetentionPolicy.age(u64(age));
  }

  static Timestamping timestamping(s2.v1alpha.StreamConfig.Timestamping in) {
    return new Timestamping(mode(in), in.hasUncapped() ? in.getUncapped() : null);
  }

  static TimestampingMode mode(s2.v1alpha.StreamConfig.Timestamping in) {
    return switch (in.getMode()) {
      case TIMESTAMPING_MODE_UNSPECIFIED -> null;
      case TIMESTAMPING_MODE_CLIENT_PREFER -> TimestampingMode.CLIENT_PREFER;
      case TIMESTAMPING_MODE_CLIENT_REQUIRE -> TimestampingMode.CLIENT_REQUIRE;
      case TIMESTAMPING_MODE_ARRIVAL -> TimestampingMode.ARRIVAL;
      case UNRECOGNIZED -> throw unknownEnum("timestamping.mode", in.getModeValue());
    };
  }

  static s2.v1alpha.StreamConfig toProto(StreamConfig c) {
    s2.v1alpha.StreamConfig.Builder b = s2.v1alpha.StreamConfig.newBuilder();
    if (c == null) {
      return b.build();
    }
    if (c.storageClass() != null) {
      b.setStorageClass(
          c.storageClass() == StorageClass.STANDARD
              ? s2.v1alpha.StorageClass.STORAGE_CLASS_STANDARD
              : s2.v1alpha.StorageClass.STORAGE_CLASS_EXPRESS);
    }
    if (c.retentionPolicy() != null) {
      b.setAge(c.retentionPolicy().isInfinite() ? 0 : c.retentionPolicy().ageSecs());
    }
    if (c.timestamping() != null) {
      s2.v1alpha.StreamConfig.Timestamping.Builder t =
          s2.v1alpha.StreamConfig.Timestamping.newBuilder();
      if (c.timestamping().mode() != null) {
        t.setMode(
            switch (c.timestamping().mode()) {
              case CLIENT_PREFER -> s2.v1alpha.TimestampingMode.TIMESTAMPING_MODE_CLIENT_PREFER;
              case CLIENT_REQUIRE -> s2.v1alpha.TimestampingMode.TIMESTAMPING_MODE_CLIENT_REQUIRE;
              case ARRIVAL -> s2.v1alpha.TimestampingMode.TIMESTAMPING_MODE_ARRIVAL;
            });
      }
      if (c.timestamping().uncapped() != null) {
        t.setUncapped(c.timestamping().uncapped());
      }
      b.setTimestamping(t);
    }
    if (c.deleteOnEmpty() != null && c.deleteOnEmpty().minAgeSecs() != null) {
      b.setDeleteOnEmpty(
          s2.v1alpha.StreamConfig.DeleteOnEmpty.newBuilder()
              .setMinAgeSecs(c.deleteOnEmpty().minAgeSecs()));
    }
    return b.build();
  }

  static BasinConfig basinConfig(s2.v1alpha.BasinConfig in) {
    return new BasinConfig(
        in.hasDefaultStreamConfig() ? streamConfig(in.getDefaultStreamConfig()) : null,
        null,
        in.getCreateStreamOnAppend(),
        in.getCreateStreamOnRead());
  }

  static s2.v1alpha.BasinConfig toProto(BasinConfig c) {
    s2.v1alpha.BasinConfig.Builder b =
        s2.v1alpha.BasinConfig.newBuilder()
            .setCreateStreamOnAppend(c.createStreamOnAppend())
            .setCreateStreamOnRead(c.createStreamOnRead());
    if (c.defaultStreamConfig() != null) {
      b.setDefaultStreamConfig(toProto(c.defaultStreamConfig()));
    }
    return b.build();
  }

  // ---------------------------------------------------------------- helpers

  static S2Exception unknownEnum(String field, int value) {
    return new S2Exception(ErrorCode.BAD_PROTO, "unknown " + field + " enum value " + value);
  }

  /** A wire uint64: values at or above 2^63 saturate to {@link Long#MAX_VALUE}. */
  static long u64(long wire) {
    return wire < 0 ? Long.MAX_VALUE : wire;
  }
}
