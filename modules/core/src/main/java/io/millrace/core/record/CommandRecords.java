package io.millrace.core.record;

import io.millrace.core.Limits;
import io.millrace.core.S2Exception;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Command records (spec section 5.4): exactly one header whose name is empty, value {@code fence}
 * (body = new fencing token) or {@code trim} (body = 8-byte big-endian trim point).
 */
public final class CommandRecords {
  private CommandRecords() {}

  public static final byte[] FENCE = "fence".getBytes(StandardCharsets.UTF_8);
  public static final byte[] TRIM = "trim".getBytes(StandardCharsets.UTF_8);

  /** What a record means for the stream's state. */
  public sealed interface Command permits Fence, Trim {}

  public record Fence(String token) implements Command {}

  public record Trim(long trimPoint) implements Command {}

  public static boolean isCommand(List<Header> headers) {
    return headers.size() == 1 && headers.get(0).name().length == 0;
  }

  /** The command of a record that passed validation, or null for an ordinary record. */
  public static Command commandOf(List<Header> headers, byte[] body) {
    if (!isCommand(headers)) {
      return null;
    }
    byte[] value = headers.get(0).value();
    if (java.util.Arrays.equals(value, FENCE)) {
      return new Fence(new String(body, StandardCharsets.UTF_8));
    }
    if (java.util.Arrays.equals(value, TRIM)) {
      return new Trim(ByteBuffer.wrap(body).getLong());
    }
    throw S2Exception.invalid("unknown command");
  }

  public static AppendRecord fence(String token) {
    return new AppendRecord(
        null, List.of(new Header(new byte[0], FENCE)), token.getBytes(StandardCharsets.UTF_8));
  }

  public static AppendRecord trim(long trimPoint) {
    return new AppendRecord(
        null,
        List.of(new Header(new byte[0], TRIM)),
        ByteBuffer.allocate(8).putLong(trimPoint).array());
  }

  /** Validates the header rules of one record (spec section 5.3 and 5.4); throws 422 invalid. */
  public static void validateHeaders(List<Header> headers, byte[] body) {
    if (isCommand(headers)) {
      byte[] value = headers.get(0).value();
      if (java.util.Arrays.equals(value, FENCE)) {
        if (body.length > Limits.MAX_FENCING_TOKEN_BYTES) {
          throw S2Exception.invalid("fencing token must be at most 36 bytes");
        }
        if (!isValidUtf8(body)) {
          throw S2Exception.invalid("fencing token must be valid UTF-8");
        }
      } else if (java.util.Arrays.equals(value, TRIM)) {
        if (body.length != 8) {
          throw S2Exception.invalid("trim command body must be exactly 8 bytes");
        }
      } else {
        throw S2Exception.invalid("unknown command record");
      }
      return;
    }
    for (Header h : headers) {
      if (h.name().length == 0) {
        throw S2Exception.invalid("header name must not be empty");
      }
    }
  }

  private static boolean isValidUtf8(byte[] bytes) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }
}
