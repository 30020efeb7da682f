package io.millrace.core.config;

import io.millrace.core.S2Exception;

/**
 * The stream ciphers this server applies (spec section 3.2, {@code stream_cipher}). A basin's
 * {@code stream_cipher} names one for the streams created in it afterwards; a stream's cipher is
 * fixed for life and recorded in its stream row under {@link #storedName()}, a name that says which
 * record envelope version the stream's records are sealed with (docs/formats/encrypted-record.md).
 *
 * <p>{@code aegis-256} is part of the S2 vocabulary but not applied (no maintained JVM
 * implementation), so it is refused wherever a config names it ({@link #requireSupported}); a
 * cipher is never reported that is not applied.
 */
public enum StreamCipher {
  AES_256_GCM("aes-256-gcm", "aes-256-gcm/v1");

  /** The S2 name of the cipher this server knows of but does not apply. */
  public static final String AEGIS_256 = "aegis-256";

  private final String wireName;
  private final String storedName;

  StreamCipher(String wireName, String storedName) {
    this.wireName = wireName;
    this.storedName = storedName;
  }

  /** The S2 name ({@code stream_cipher}, {@code StreamInfo.cipher}). */
  public String wireName() {
    return wireName;
  }

  /** The value of the stream row's {@code cipher} column for streams sealed with this cipher. */
  public String storedName() {
    return storedName;
  }

  /**
   * The cipher a basin config names, or null for none.
   *
   * @throws S2Exception {@code invalid} (422) for {@code aegis-256} (not supported here) and for
   *     names outside the S2 vocabulary
   */
  public static StreamCipher requireSupported(String wireName) {
    if (wireName == null) {
      return null;
    }
    for (StreamCipher c : values()) {
      if (c.wireName.equals(wireName)) {
        return c;
      }
    }
    if (AEGIS_256.equals(wireName)) {
      throw S2Exception.invalid(
          "stream_cipher aegis-256 is not supported by this server; use aes-256-gcm");
    }
    throw S2Exception.invalid("unknown stream cipher " + wireName);
  }

  /**
   * The cipher a stream row's {@code cipher} column says its records are sealed with, or null when
   * they are stored as they came. Values without an envelope version ({@code aes-256-gcm}, {@code
   * aegis-256}) were written by builds that recorded the basin's cipher without applying it: those
   * streams hold plain records and are treated (and reported) as unencrypted.
   */
  public static StreamCipher ofStored(String stored) {
    if (stored == null) {
      return null;
    }
    for (StreamCipher c : values()) {
      if (c.storedName.equals(stored)) {
        return c;
      }
    }
    return null;
  }
}
