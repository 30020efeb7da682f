package io.millrace.engine;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.config.StreamCipher;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.format.EncryptedRecordCodec;
import io.millrace.format.RecordDecryptionException;
import io.millrace.metadata.StreamRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encryption of the records of encrypted streams, for every transport (spec sections 2.6 and 3.2;
 * docs/formats/encrypted-record.md). The data plane seals a batch on the node that received it,
 * before the batch goes to the stream entity, and opens the records a read returns before they go
 * back to the edge: the key never enters an actor message, actor state, the WAL, a segment or the
 * metadata store, and it lives only as long as the request or session that carried it.
 *
 * <p>Every record of an encrypted stream is stored as an envelope (headers and body sealed
 * together, with a fresh random nonce per record, bound to the stream id) in the body of a record
 * without headers; command records (fence, trim) stay as they are, since the sequencer must
 * interpret them. A key sent for an unencrypted stream is accepted and not used
 * (docs/decisions.md).
 */
final class StreamEncryption {
  private StreamEncryption() {}

  /** The cipher the stream's records are sealed with, or null for a stream stored in the clear. */
  static StreamCipher cipherOf(StreamRecord stream) {
    return StreamCipher.ofStored(stream.cipher());
  }

  /**
   * Fails with 400 {@code bad_header} when {@code stream} is encrypted and the request carried no
   * key.
   */
  static void requireKey(StreamRecord stream, EncryptionKey key) {
    StreamCipher cipher = cipherOf(stream);
    if (cipher != null && key == null) {
      throw new S2Exception(
          ErrorCode.BAD_HEADER,
          "missing encryption key: stream '"
              + stream.name()
              + "' is encrypted ("
              + cipher.wireName()
              + "); send its key in s2-encryption-key");
    }
  }

  /**
   * The batch as the stream stores it: for an encrypted stream every non-command record sealed into
   * an envelope (timestamps kept), else {@code input} itself. Fails like {@link #requireKey}.
   */
  static AppendInput seal(StreamRecord stream, AppendInput input, EncryptionKey key) {
    requireKey(stream, key);
    if (cipherOf(stream) == null) {
      return input;
    }
    SecretKey secret = secret(key);
    List<AppendRecord> sealed = new ArrayList<>(input.records().size());
    for (AppendRecord r : input.records()) {
      if (CommandRecords.isCommand(r.headers())) {
        sealed.add(r);
      } else {
        byte[] envelope =
            EncryptedRecordCodec.seal(secret, stream.streamId(), r.headers(), r.body());
        sealed.add(new AppendRecord(r.timestamp(), List.of(), envelope));
      }
    }
    return new AppendInput(sealed, input.matchSeqNum(), input.fencingToken());
  }

  /**
   * The outcome of a read as the client sees it: for an encrypted stream every non-command record
   * opened with {@code key}. Fails with 400 {@code decryption_failed} when a record does not open
   * under the key (wrong key, altered or foreign record), and like {@link #requireKey}.
   */
  static ReadOutcome open(StreamRecord stream, ReadOutcome outcome, EncryptionKey key) {
    if (cipherOf(stream) == null || !(outcome instanceof ReadOutcome.Batch b)) {
      return outcome;
    }
    requireKey(stream, key);
    SecretKey secret = secret(key);
    List<SequencedRecord> opened = new ArrayList<>(b.batch().records().size());
    for (SequencedRecord r : b.batch().records()) {
      if (CommandRecords.isCommand(r.headers())) {
        opened.add(r);
        continue;
      }
      if (!r.headers().isEmpty()) {
        throw decryptionFailed(stream, r, "it is not an encrypted record");
      }
      EncryptedRecordCodec.Opened o;
      try {
        o = EncryptedRecordCodec.open(secret, stream.streamId(), r.body());
      } catch (RecordDecryptionException e) {
        throw decryptionFailed(stream, r, e.getMessage());
      }
      opened.add(new SequencedRecord(r.seqNum(), r.timestamp(), o.headers(), o.body()));
    }
    return new ReadOutcome.Batch(new ReadBatch(opened, b.batch().tail()));
  }

  private static S2Exception decryptionFailed(StreamRecord stream, SequencedRecord r, String why) {
    return new S2Exception(
        ErrorCode.DECRYPTION_FAILED,
        "cannot decrypt record "
            + r.seqNum()
            + " of stream '"
            + stream.name()
            + "' with the given encryption key: "
            + why);
  }

  private static SecretKey secret(EncryptionKey key) {
    byte[] bytes = key.bytes();
    try {
      return new SecretKeySpec(bytes, "AES");
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }
}
