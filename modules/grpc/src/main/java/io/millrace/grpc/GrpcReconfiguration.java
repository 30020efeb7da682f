package io.millrace.grpc;

import com.google.protobuf.FieldMask;
import io.millrace.core.S2Exception;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.Patch;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.core.config.StreamReconfiguration.DeleteOnEmptyReconfiguration;
import io.millrace.core.config.StreamReconfiguration.TimestampingReconfiguration;
import java.util.ArrayList;
import java.util.List;

/**
 * s2.v1alpha reconfigurations (a config plus a {@link FieldMask}) as the core's three-way patches
 * (spec section 3.3): a path in the mask whose field is set in the config sets it; a path whose
 * field is unset (an UNSPECIFIED enum, an absent message or oneof) resets it to the basin or system
 * default; fields not in the mask are kept. Without a mask (or with an empty one), the fields set
 * in the config are the mask. Unknown paths are 422 {@code invalid}.
 *
 * <p>Stream paths: {@code storage_class}, {@code retention_policy} (also {@code age}, {@code
 * retention_policy.age}), {@code timestamping}, {@code timestamping.mode}, {@code
 * timestamping.uncapped}, {@code delete_on_empty}, {@code delete_on_empty.min_age_secs}. Basin
 * paths: {@code default_stream_config} and {@code default_stream_config.<stream path>}, {@code
 * create_stream_on_append}, {@code create_stream_on_read}.
 */
final class GrpcReconfiguration {
  private GrpcReconfiguration() {}

  static StreamReconfiguration stream(s2.v1alpha.StreamConfig config, FieldMask mask) {
    List<String> paths = mask.getPathsCount() > 0 ? mask.getPathsList() : populated(config);
    StreamPatch p = new StreamPatch();
    for (String path : paths) {
      p.apply(path, path, config);
    }
    return p.build();
  }

  static BasinReconfiguration basin(s2.v1alpha.BasinConfig config, FieldMask mask) {
    List<String> paths = mask.getPathsCount() > 0 ? mask.getPathsList() : populated(config);
    Patch<StreamReconfiguration> dsc = Patch.keep();
    StreamPatch nested = null;
    Patch<Boolean> onAppend = Patch.keep();
    Patch<Boolean> onRead = Patch.keep();
    String prefix = "default_stream_config.";
    for (String path : paths) {
      if (path.equals("default_stream_config")) {
        dsc =
            config.hasDefaultStreamConfig()
                ? Patch.set(full(config.getDefaultStreamConfig()))
                : Patch.reset();
        nested = null;
      } else if (path.startsWith(prefix)) {
        if (nested == null) {
          nested = new StreamPatch();
        }
        nested.apply(path.substring(prefix.length()), path, config.getDefaultStreamConfig());
      } else if (path.equals("create_stream_on_append")) {
        onAppend = Patch.set(config.getCreateStreamOnAppend());
      } else if (path.equals("create_stream_on_read")) {
        onRead = Patch.set(config.getCreateStreamOnRead());
      } else {
        throw unknownPath(path);
      }
    }
    if (nested != null) {
      dsc = Patch.set(nested.build());
    }
    return new BasinReconfiguration(dsc, Patch.keep(), onAppend, onRead);
  }

  /** A whole stream config as a patch: every field set, or reset when unset. */
  private static StreamReconfiguration full(s2.v1alpha.StreamConfig config) {
    StreamPatch p = new StreamPatch();
    for (String path :
        List.of("storage_class", "retention_policy", "timestamping", "delete_on_empty")) {
      p.apply(path, path, config);
    }
    return p.build();
  }

  private static List<String> populated(s2.v1alpha.StreamConfig c) {
    List<String> paths = new ArrayList<>();
    if (c.getStorageClass() != s2.v1alpha.StorageClass.STORAGE_CLASS_UNSPECIFIED) {
      paths.add("storage_class");
    }
    if (c.getRetentionPolicyCase()
        != s2.v1alpha.StreamConfig.RetentionPolicyCase.RETENTIONPOLICY_NOT_SET) {
      paths.add("retention_policy");
    }
    if (c.hasTimestamping()) {
      if (c.getTimestamping().getMode()
          != s2.v1alpha.TimestampingMode.TIMESTAMPING_MODE_UNSPECIFIED) {
        paths.add("timestamping.mode");
      }
      if (c.getTimestamping().hasUncapped()) {
        paths.add("timestamping.uncapped");
      }
    }
    if (c.hasDeleteOnEmpty()) {
      paths.add("delete_on_empty");
    }
    return paths;
  }

  private static List<String> populated(s2.v1alpha.BasinConfig c) {
    List<String> paths = new ArrayList<>();
    if (c.hasDefaultStreamConfig()) {
      for (String p : populated(c.getDefaultStreamConfig())) {
        paths.add("default_stream_config." + p);
      }
    }
    if (c.getCreateStreamOnAppend()) {
      paths.add("create_stream_on_append");
    }
    if (c.getCreateStreamOnRead()) {
      paths.add("create_stream_on_read");
    }
    return paths;
  }

  private static S2Exception unknownPath(String path) {
    return S2Exception.invalid("unknown field mask path '" + path + "'");
  }

  /** Accumulates the patch of one stream config, path by path. */
  private static final class StreamPatch {
    Patch<io.millrace.core.config.StorageClass> storageClass = Patch.keep();
    Patch<io.millrace.core.config.RetentionPolicy> retention = Patch.keep();
    Patch<TimestampingReconfiguration> timestamping = Patch.keep();
    Patch<io.millrace.core.config.TimestampingMode> mode = null;
    Patch<Boolean> uncapped = null;
    Patch<DeleteOnEmptyReconfiguration> deleteOnEmpty = Patch.keep();

    void apply(String path, String fullPath, s2.v1alpha.StreamConfig c) {
      switch (path) {
        case "storage_class" -> {
          var v = GrpcCodec.storageClass(c);
          storageClass = v == null ? Patch.reset() : Patch.set(v);
        }
        case "retention_policy", "age", "retention_policy.age" ->
            retention =
                c.getRetentionPolicyCase() == s2.v1alpha.StreamConfig.RetentionPolicyCase.AGE
                    ? Patch.set(GrpcCodec.retention(c.getAge()))
                    : Patch.reset();
        case "timestamping" -> {
          mode = null;
          uncapped = null;
          if (!c.hasTimestamping()) {
            timestamping = Patch.reset();
          } else {
            var t = GrpcCodec.timestamping(c.getTimestamping());
            timestamping =
                Patch.set(
                    new TimestampingReconfiguration(
                        t.mode() == null ? Patch.reset() : Patch.set(t.mode()),
                        t.uncapped() == null ? Patch.reset() : Patch.set(t.uncapped())));
          }
        }
        case "timestamping.mode" -> {
          var m = c.hasTimestamping() ? GrpcCodec.mode(c.getTimestamping()) : null;
          mode = m == null ? Patch.reset() : Patch.set(m);
        }
        case "timestamping.uncapped" ->
            uncapped =
                c.hasTimestamping() && c.getTimestamping().hasUncapped()
                    ? Patch.set(c.getTimestamping().getUncapped())
                    : Patch.reset();
        case "delete_on_empty", "delete_on_empty.min_age_secs" ->
            deleteOnEmpty =
                c.hasDeleteOnEmpty()
                    ? Patch.set(
                        new DeleteOnEmptyReconfiguration(
                            Patch.set(GrpcCodec.u64(c.getDeleteOnEmpty().getMinAgeSecs()))))
                    : path.equals("delete_on_empty")
                        ? Patch.reset()
                        : Patch.set(new DeleteOnEmptyReconfiguration(Patch.reset()));
        default -> throw unknownPath(fullPath);
      }
    }

    StreamReconfiguration build() {
      Patch<TimestampingReconfiguration> ts = timestamping;
      if (mode != null || uncapped != null) {
        ts =
            Patch.set(
                new TimestampingReconfiguration(
                    mode == null ? Patch.keep() : mode,
                    uncapped == null ? Patch.keep() : uncapped));
      }
      return new StreamReconfiguration(storageClass, retention, ts, deleteOnEmpty);
    }
  }
}
