package io.millrace.engine.serialization;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadStart;

/**
 * Jackson mix-ins that let Pekko's Jackson CBOR serializer carry the core module's sealed
 * interfaces inside {@link io.millrace.engine.EngineSerializable} messages between nodes: each
 * subtype is written with a short type name. The core module stays free of Jackson. Registered
 * through {@code pekko.serialization.jackson.jackson-modules} in the engine's reference.conf.
 */
public final class CoreTypesJacksonModule extends SimpleModule {
  private static final long serialVersionUID = 1L;

  /** Creates the module; Pekko instantiates it by class name. */
  public CoreTypesJacksonModule() {
    super("millrace-core-types");
    setMixInAnnotation(AppendOutcome.class, AppendOutcomeMixin.class);
    setMixInAnnotation(ReadOutcome.class, ReadOutcomeMixin.class);
    setMixInAnnotation(ReadStart.class, ReadStartMixin.class);
  }

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = AppendOutcome.Appended.class, name = "appended"),
    @JsonSubTypes.Type(value = AppendOutcome.SeqNumMismatch.class, name = "seq-num-mismatch"),
    @JsonSubTypes.Type(
        value = AppendOutcome.FencingTokenMismatch.class,
        name = "fencing-token-mismatch")
  })
  private interface AppendOutcomeMixin {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = ReadOutcome.Batch.class, name = "batch"),
    @JsonSubTypes.Type(
        value = ReadOutcome.RangeNotSatisfiable.class,
        name = "range-not-satisfiable")
  })
  private interface ReadOutcomeMixin {}

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = ReadStart.SeqNum.class, name = "seq-num"),
    @JsonSubTypes.Type(value = ReadStart.Timestamp.class, name = "timestamp"),
    @JsonSubTypes.Type(value = ReadStart.TailOffset.class, name = "tail-offset")
  })
  private interface ReadStartMixin {}
}
