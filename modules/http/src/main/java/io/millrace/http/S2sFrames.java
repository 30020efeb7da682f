package io.millrace.http;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.pekko.util.ByteString;

/**
 * The S2S frame format (spec section 6.5), pure and without I/O.
 *
 * <pre>
 * length (3 bytes, big-endian, = 1 + payload length, 1..2 MiB) | flags (1 byte) | payload
 * flags: bit7 terminal, bits6-5 compression (00 none, 01 zstd, 10 gzip, 11 invalid),
 *        bit4 reconnect advised, bits3-0 reserved (0)
 * </pre>
 *
 * A terminal frame's payload is a 2-byte HTTP status and a JSON error body; it is never compressed.
 */
final class S2sFrames {
  private S2sFrames() {}

  /** Largest value of the length field (flags byte plus payload). */
  static final int MAX_FRAME_BYTES = 2 * 1024 * 1024;

  /** Largest payload, compressed or not, and largest payload after decompression. */
  static final int MAX_PAYLOAD_BYTES = MAX_FRAME_BYTES - 1;

  /** Payloads smaller than this are sent uncompressed even when compression was negotiated. */
  static final int COMPRESSION_MIN_BYTES = 1024;

  static final int TERMINAL = 0x80;
  static final int COMPRESSION_MASK = 0x60;
  static final int RECONNECT_ADVISED = 0x10;
  static final int RESERVED_MASK = 0x0F;

  /** Per-frame payload compression. */
  enum Compression {
    NONE(0),
    ZSTD(0x20),
    GZIP(0x40);

    final int bits;

    Compression(int bits) {
      this.bits = bits;
    }

    /** The compression the server uses for a client's {@code Accept-Encoding}: zstd, gzip, none. */
    static Compression negotiate(String acceptEncoding) {
      return switch (ResponseCompression.choose(acceptEncoding)) {
        case ZSTD -> ZSTD;
        case GZIP -> GZIP;
        case IDENTITY -> NONE;
      };
    }
  }

  /** A decoded frame. {@code status} is set only for terminal frames. */
  record Frame(boolean terminal, Compression compression, int status, byte[] payload) {}

  /** Encodes a regular frame, compressing payloads of at least 1 KiB with {@code compression}. */
  static ByteString encode(byte[] payload, Compression compression) {
    Compression used = payload.length >= COMPRESSION_MIN_BYTES ? compression : Compression.NONE;
    byte[] body = compress(payload, used);
    if (body.length > MAX_PAYLOAD_BYTES && used != Compression.NONE) {
      used = Compression.NONE;
      body = payload;
    }
    return frame(used.bits, body);
  }

  /** Encodes a terminal frame: status and JSON error body, uncompressed. */
  static ByteString terminal(int status, byte[] jsonBody) {
    byte[] body = new byte[jsonBody.length + 2];
    body[0] = (byte) (status >> 8);
    body[1] = (byte) status;
    System.arraycopy(jsonBody, 0, body, 2, jsonBody.length);
    return frame(TERMINAL, body);
  }

  private static ByteString frame(int flags, byte[] body) {
    int length = body.length + 1;
    if (length > MAX_FRAME_BYTES) {
      throw new IllegalArgumentException("frame of " + length + " bytes exceeds 2 MiB");
    }
    byte[] out = new byte[length + 3];
    out[0] = (byte) (length >> 16);
    out[1] = (byte) (length >> 8);
    out[2] = (byte) length;
    out[3] = (byte) flags;
    System.arraycopy(body, 0, out, 4, body.length);
    return ByteString.fromArrayUnsafe(out);
  }

  static byte[] compress(byte[] payload, Compression c) {
    return switch (c) {
      case NONE -> payload;
      case ZSTD -> Zstd.compress(payload, 3);
      case GZIP -> Compressed.gzip(payload);
    };
  }

  /** Decompresses a payload; undecodable or larger than 2 MiB is 400 {@code bad_frame}. */
  static byte[] decompress(byte[] payload, Compression c) {
    if (c == Compression.NONE) {
      return payload;
    }
    try (InputStream in =
        c == Compression.ZSTD
            ? new ZstdInputStream(new ByteArrayInputStream(payload))
            : new GZIPInputStream(new ByteArrayInputStream(payload))) {
      return Compressed.readAtMost(
          in,
          MAX_PAYLOAD_BYTES,
          Math.min(payload.length * 4, 1 << 16),
          () ->
              new S2Exception(
                  ErrorCode.BAD_FRAME, "decompressed frame payload exceeds " + MAX_PAYLOAD_BYTES));
    } catch (IOException | RuntimeException e) {
      if (e instanceof S2Exception s) {
        throw s;
      }
      throw new S2Exception(
          ErrorCode.BAD_FRAME,
          "frame payload is not valid " + c.name().toLowerCase(java.util.Locale.ROOT) + " data");
    }
  }

  /**
   * Splits a byte stream into frames sent by a client. Framing errors are 400 {@code bad_frame}: a
   * zero or oversized length, reserved bits, compression bits 11, a compression the server did not
   * negotiate, or a terminal frame (clients must not send one). The reconnect-advised bit means
   * nothing from a client and is ignored. Not thread-safe.
   */
  static final class Decoder {
    private final Compression offered;

    /**
     * Received bytes not yet consumed: a rope of the received chunks (concatenating and dropping do
     * not copy bytes), so each frame's payload is copied exactly once, into its own array.
     */
    private ByteString pending = ByteString.emptyByteString();

    /**
     * @param offered the one compression the client may use besides none (what the server
     *     negotiated from its Accept-Encoding)
     */
    Decoder(Compression offered) {
      this.offered = offered;
    }

    /** Appends received bytes and returns the frames now complete, payloads decompressed. */
    List<Frame> push(ByteString chunk) {
      pending = pending.concat(chunk);
      List<Frame> frames = new ArrayList<>();
      while (pending.size() >= 4) {
        int length =
            ((pending.apply(0) & 0xFF) << 16)
                | ((pending.apply(1) & 0xFF) << 8)
                | (pending.apply(2) & 0xFF);
        if (length < 1) {
          throw badFrame("frame length is 0; the flags byte is mandatory");
        }
        if (length > MAX_FRAME_BYTES) {
          throw badFrame("frame of " + length + " bytes exceeds " + MAX_FRAME_BYTES);
        }
        int flags = pending.apply(3) & 0xFF;
        if ((flags & TERMINAL) != 0) {
          throw badFrame("clients must not send terminal frames");
        }
        if ((flags & RESERVED_MASK) != 0) {
          throw badFrame("reserved frame flag bits are set");
        }
        Compression c =
            switch ((flags & COMPRESSION_MASK) >> 5) {
              case 0 -> Compression.NONE;
              case 1 -> Compression.ZSTD;
              case 2 -> Compression.GZIP;
              default -> throw badFrame("invalid compression bits 11");
            };
        if (c != Compression.NONE && c != offered) {
          throw badFrame(
              "frame compressed with "
                  + c.name().toLowerCase(java.util.Locale.ROOT)
                  + ", which the server did not offer");
        }
        if (pending.size() < 3 + length) {
          break;
        }
        byte[] payload = new byte[length - 1];
        pending.drop(4).copyToArray(payload, 0, length - 1);
        pending = pending.drop(3 + length);
        frames.add(new Frame(false, c, 0, decompress(payload, c)));
      }
      if (pending.isEmpty()) {
        pending = ByteString.emptyByteString(); // let go of the consumed chunks
      }
      return frames;
    }

    /** True while part of a frame is buffered (an end of input now would truncate it). */
    boolean hasPartialFrame() {
      return !pending.isEmpty();
    }

    private static S2Exception badFrame(String message) {
      return new S2Exception(ErrorCode.BAD_FRAME, message);
    }
  }
}
