package io.millrace.core.config;

/** A PATCH of a basin config (spec section 3.3). */
public record BasinReconfiguration(
    Patch<StreamReconfiguration> defaultStreamConfig,
    Patch<String> streamCipher,
    Patch<Boolean> createStreamOnAppend,
    Patch<Boolean> createStreamOnRead) {

  public BasinConfig applyTo(BasinConfig current) {
    StreamConfig dsc =
        Patch.applyNested(
            defaultStreamConfig, current.defaultStreamConfig(), (p, cur) -> p.applyTo(cur));
    Boolean onAppend = createStreamOnAppend.apply(current.createStreamOnAppend());
    Boolean onRead = createStreamOnRead.apply(current.createStreamOnRead());
    return new BasinConfig(
        dsc,
        streamCipher.apply(current.streamCipher()),
        onAppend != null && onAppend,
        onRead != null && onRead);
  }
}
