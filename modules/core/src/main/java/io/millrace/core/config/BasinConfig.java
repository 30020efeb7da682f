package io.millrace.core.config;

/**
 * A basin config. {@code defaultStreamConfig} is partial (null fields unset) or null; {@code
 * streamCipher} null when none; only ciphers this server applies pass {@link #validate()} ({@link
 * StreamCipher}).
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
    StreamCipher.requireSupported(streamCipher);
    return this;
  }
}
