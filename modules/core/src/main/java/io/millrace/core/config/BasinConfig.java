package io.millrace.core.config;

/**
 * A basin config. {@code defaultStreamConfig} is partial (null fields unset) or null; {@code
 * streamCipher} null when none.
 */
public record BasinConfig(
    StreamConfig defaultStreamConfig,
    String streamCipher,
    boolean createStreamOnAppend,
    boolean createStreamOnRead) {

  public static final BasinConfig DEFAULT = new BasinConfig(null, null, false, false);

  public BasinConfig validate() {
    if (defaultStreamConfig != null) {
      defaultStreamConfig.validate();
    }
    if (streamCipher != null
        && !streamCipher.equals("aegis-256")
        && !streamCipher.equals("aes-256-gcm")) {
      throw io.millrace.core.S2Exception.invalid("unknown stream cipher " + streamCipher);
    }
    return this;
  }
}
