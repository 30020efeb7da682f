package io.millrace.format;

import io.millrace.core.record.Header;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The envelope of one record of an encrypted stream (docs/formats/encrypted-record.md): the
 * record's headers and body, sealed with AES-256-GCM under the client's key, stored as the body of
 * a record without headers. Version 1.
 *
 * <pre>
 * field      offset        size     notes
 * version    0             1        1
 * nonce      1             12       random (SecureRandom), fresh for every record
 * sealed     13            n + 16   AES-256-GCM ciphertext of the payload, then the 16-byte tag
 *
 * payload (plaintext, n bytes):
 * headerCount            uvarint
 * headers[i]             nameLength uvarint, name, valueLength uvarint, value
 * bodyLength             uvarint
 * body                   bodyLength bytes
 * (extension)            the rest; empty in version 1, skipped by readers
 *
 * associated data: the version byte, then the stream id in UTF-8
 * </pre>
 *
 * <p>The associated data binds an envelope to its stream (the stream id is new for every
 * incarnation of a stream name), so an envelope copied into another stream fails to open. The tag
 * authenticates the version, nonce, ciphertext and associated data; any change fails the open with
 * {@link RecordDecryptionException}. Thread-safe.
 */
public final class EncryptedRecordCodec {
  private EncryptedRecordCodec() {}

  /** The envelope version this codec writes and the only one it reads. */
  public static final int VERSION = 1;

  public static final int VERSION_BYTES = 1;
  public static final int NONCE_OFFSET = VERSION_BYTES;
  public static final int NONCE_BYTES = 12;
  public static final int SEALED_OFFSET = NONCE_OFFSET + NONCE_BYTES;
  public static final int TAG_BYTES = 16;

  /** Bytes an envelope adds to its payload: version, nonce and tag. */
  public static final int OVERHEAD = SEALED_OFFSET + TAG_BYTES;

  private static final String TRANSFORMATION = "AES/GCM/NoPadding";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ThreadLocal<Cipher> CIPHERS =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Cipher.getInstance(TRANSFORMATION);
            } catch (GeneralSecurityException e) {
              throw new IllegalStateException("the JDK offers no " + TRANSFORMATION, e);
            }
          });

  /** Headers and body of an opened envelope. */
  public record Opened(List<Header> headers, byte[] body) {}

  /**
   * Seals a record's headers and body for stream {@code streamId} under {@code key} (an AES key of
   * 32 bytes) with a fresh random nonce.
   */
  public static byte[] seal(SecretKey key, String streamId, List<Header> headers, byte[] body) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return seal(key, streamId, headers, body, nonce);
  }

  /** Seals with the given nonce: only for golden data, a nonce must never be used twice. */
  static byte[] seal(
      SecretKey key, String streamId, List<Header> headers, byte[] body, byte[] nonce) {
    byte[] payload = payload(headers, body);
    byte[] out = new byte[OVERHEAD + payload.length];
    out[0] = (byte) VERSION;
    System.arraycopy(nonce, 0, out, NONCE_OFFSET, NONCE_BYTES);
    Cipher cipher = CIPHERS.get();
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BYTES * 8, nonce));
      cipher.updateAAD(associatedData(VERSION, streamId));
      int n = cipher.doFinal(payload, 0, payload.length, out, SEALED_OFFSET);
      if (n != payload.length + TAG_BYTES) {
        throw new IllegalStateException("AES-GCM wrote " + n + " bytes");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal a record: " + e.getClass().getSimpleName(), e);
    } finally {
      java.util.Arrays.fill(payload, (byte) 0);
    }
    return out;
  }

  /**
   * Opens an envelope of stream {@code streamId} under {@code key}.
   *
   * @throws RecordDecryptionException when the key is not the sealing key, the envelope was altered
   *     or belongs to another stream, or it is not an envelope of version 1
   */
  public static Opened open(SecretKey key, String streamId, byte[] envelope) {
    if (envelope.length < OVERHEAD) {
      throw new RecordDecryptionException(
          "not an encrypted record: " + envelope.length + " bytes is shorter than an envelope");
    }
    int version = envelope[0] & 0xFF;
    if (version != VERSION) {
      throw new RecordDecryptionException(
          "not an encrypted record of a known envelope version (" + version + ")");
    }
    byte[] payload;
    Cipher cipher = CIPHERS.get();
    try {
      cipher.init(
          Cipher.DECRYPT_MODE,
          key,
          new GCMParameterSpec(TAG_BYTES * 8, envelope, NONCE_OFFSET, NONCE_BYTES));
      cipher.updateAAD(associatedData(version, streamId));
      payload = cipher.doFinal(envelope, SEALED_OFFSET, envelope.length - SEALED_OFFSET);
    } catch (AEADBadTagException e) {
      throw new RecordDecryptionException(
          "the record does not authenticate under this key (wrong key, or altered record)");
    } catch (GeneralSecurityException e) {
      throw new RecordDecryptionException(
          "cannot decrypt the record: " + e.getClass().getSimpleName());
    }
    try {
      return parse(payload);
    } catch (CorruptObjectException e) {
      // Authenticated but unparsable: written by a broken sealer, never by this codec.
      throw new RecordDecryptionException("malformed payload: " + e.getMessage());
    }
  }

  private static byte[] associatedData(int version, String streamId) {
    byte[] id = streamId.getBytes(StandardCharsets.UTF_8);
    byte[] aad = new byte[1 + id.length];
    aad[0] = (byte) version;
    System.arraycopy(id, 0, aad, 1, id.length);
    return aad;
  }

  private static byte[] payload(List<Header> headers, byte[] body) {
    long size = RecordCodec.varintSize(headers.size());
    for (Header h : headers) {
      size += RecordCodec.varintSize(h.name().length) + h.name().length;
      size += RecordCodec.varintSize(h.value().length) + h.value().length;
    }
    size += RecordCodec.varintSize(body.length) + body.length;
    if (size > Integer.MAX_VALUE - OVERHEAD - 16) {
      throw new IllegalArgumentException("record too large to seal: " + size + " bytes");
    }
    ByteWriter w = new ByteWriter((int) size);
    w.uvarint(headers.size());
    for (Header h : headers) {
      w.lengthPrefixed(h.name());
      w.lengthPrefixed(h.value());
    }
    w.lengthPrefixed(body);
    return w.toByteArray();
  }

  private static Opened parse(byte[] payload) {
    ByteReader r = new ByteReader(payload, 0, payload.length, "encrypted record payload");
    int headerCount = r.uvarintLength("header count");
    if (headerCount > r.remaining() / 2) {
      throw new CorruptObjectException(
          "header count " + headerCount + " does not fit in " + r.remaining() + " bytes");
    }
    List<Header> headers = new ArrayList<>(headerCount);
    for (int i = 0; i < headerCount; i++) {
      byte[] name = r.bytes(r.uvarintLength("header " + i + " name length"), "header name");
      byte[] value = r.bytes(r.uvarintLength("header " + i + " value length"), "header value");
      headers.add(new Header(name, value));
    }
    byte[] body = r.bytes(r.uvarintLength("body length"), "body");
    // Bytes after the body are an extension of a later version: skipped.
    return new Opened(headers, body);
  }
}
