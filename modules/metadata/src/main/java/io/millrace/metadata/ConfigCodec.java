package io.millrace.metadata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The stored JSON form of {@link BasinConfig} and {@link StreamConfig}, shared by every metadata
 * store (format documented in docs/metadata.md, "Config JSON"). Version {@value #VERSION}.
 *
 * <p>An absent field means null (unset), exactly: a partial config round-trips with the same nulls
 * at every level. Examples:
 *
 * <pre>
 * stream: {"v":1,"storage_class":"express","retention_policy":{"age_secs":604800},
 *          "timestamping":{"mode":"client-prefer","uncapped":false},
 *          "delete_on_empty":{"min_age_secs":0}}
 * infinite retention: "retention_policy":{"infinite":true}
 * basin:  {"v":1,"default_stream_config":{"storage_class":"standard"},
 *          "stream_cipher":"aegis-256","create_stream_on_append":true,
 *          "create_stream_on_read":false}
 * </pre>
 *
 * The nested {@code default_stream_config} has no {@code v} of its own. Readers ignore unknown
 * fields (so fields may be added within a version) and reject a {@code v} they do not know.
 */
public final class ConfigCodec {

  /** The format version written by {@link #toJson}. */
  public static final int VERSION = 1;

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ConfigCodec() {}

  /** The JSON of {@code config}, or null for null. */
  public static String toJson(StreamConfig config) {
    if (config == null) {
      return null;
    }
    ObjectNode n = MAPPER.createObjectNode();
    n.put("v", VERSION);
    writeStream(n, config);
    return n.toString();
  }

  /** The JSON of {@code config}, or null for null. */
  public static String toJson(BasinConfig config) {
    if (config == null) {
      return null;
    }
    ObjectNode n = MAPPER.createObjectNode();
    n.put("v", VERSION);
    if (config.defaultStreamConfig() != null) {
      writeStream(n.putObject("default_stream_config"), config.defaultStreamConfig());
    }
    if (config.streamCipher() != null) {
      n.put("stream_cipher", config.streamCipher());
    }
    n.put("create_stream_on_append", config.createStreamOnAppend());
    n.put("create_stream_on_read", config.createStreamOnRead());
    return n.toString();
  }

  /**
   * The stream config in {@code json}, or null for null.
   *
   * @throws IllegalArgumentException if it is not a config of a known version
   */
  public static StreamConfig streamConfigFromJson(String json) {
    if (json == null) {
      return null;
    }
    return readStream(parse(json));
  }

  /**
   * The basin config in {@code json}, or null for null.
   *
   * @throws IllegalArgumentException if it is not a config of a known version
   */
  public static BasinConfig basinConfigFromJson(String json) {
    if (json == null) {
      return null;
    }
    JsonNode n = parse(json);
    JsonNode dsc = n.get("default_stream_config");
    return new BasinConfig(
        present(dsc) ? readStream(object(dsc, "default_stream_config")) : null,
        text(n, "stream_cipher"),
        bool(n, "create_stream_on_append", false),
        bool(n, "create_stream_on_read", false));
  }

  /**
   * {@link #basinConfigFromJson} or {@link #streamConfigFromJson} by {@code type}.
   *
   * @throws IllegalArgumentException for another type or invalid JSON
   */
  public static <T> T fromJson(String json, Class<T> type) {
    if (type == BasinConfig.class) {
      return type.cast(basinConfigFromJson(json));
    }
    if (type == StreamConfig.class) {
      return type.cast(streamConfigFromJson(json));
    }
    throw new IllegalArgumentException("no config codec for " + type.getName());
  }

  // ---------------------------------------------------------------- internals

  private static void writeStream(ObjectNode n, StreamConfig c) {
    if (c.storageClass() != null) {
      n.put("storage_class", c.storageClass().wire());
    }
    if (c.retentionPolicy() != null) {
      ObjectNode r = n.putObject("retention_policy");
      if (c.retentionPolicy().isInfinite()) {
        r.put("infinite", true);
      } else {
        r.put("age_secs", c.retentionPolicy().ageSecs());
      }
    }
    if (c.timestamping() != null) {
      ObjectNode t = n.putObject("timestamping");
      if (c.timestamping().mode() != null) {
        t.put("mode", c.timestamping().mode().wire());
      }
      if (c.timestamping().uncapped() != null) {
        t.put("uncapped", c.timestamping().uncapped());
      }
    }
    if (c.deleteOnEmpty() != null) {
      ObjectNode d = n.putObject("delete_on_empty");
      if (c.deleteOnEmpty().minAgeSecs() != null) {
        d.put("min_age_secs", c.deleteOnEmpty().minAgeSecs());
      }
    }
  }

  private static StreamConfig readStream(JsonNode n) {
    StorageClass storageClass =
        wireName(n, "storage_class", StorageClass::fromWire, "storage_class");
    RetentionPolicy retention = null;
    JsonNode r = n.get("retention_policy");
    if (present(r)) {
      object(r, "retention_policy");
      if (bool(r, "infinite", false)) {
        retention = RetentionPolicy.INFINITE;
      } else {
        Long age = longValue(r, "age_secs");
        if (age == null) {
          throw new IllegalArgumentException(
              "stored retention_policy has neither age_secs nor infinite");
        }
        retention = RetentionPolicy.age(age);
      }
    }
    Timestamping timestamping = null;
    JsonNode t = n.get("timestamping");
    if (present(t)) {
      object(t, "timestamping");
      TimestampingMode mode = wireName(t, "mode", TimestampingMode::fromWire, "timestamping mode");
      JsonNode u = t.get("uncapped");
      Boolean uncapped = present(u) ? bool(t, "uncapped", false) : null;
      timestamping = new Timestamping(mode, uncapped);
    }
    DeleteOnEmpty deleteOnEmpty = null;
    JsonNode d = n.get("delete_on_empty");
    if (present(d)) {
      object(d, "delete_on_empty");
      deleteOnEmpty = new DeleteOnEmpty(longValue(d, "min_age_secs"));
    }
    return new StreamConfig(storageClass, retention, timestamping, deleteOnEmpty);
  }

  private static JsonNode parse(String json) {
    JsonNode n;
    try {
      n = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("stored config is not valid JSON: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("stored config is not a JSON object: " + json);
    }
    JsonNode v = n.get("v");
    if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
      throw new IllegalArgumentException("stored config has no version: " + json);
    }
    if (v.intValue() != VERSION) {
      throw new IllegalArgumentException(
          "stored config has version " + v.intValue() + ", this build reads " + VERSION);
    }
    return n;
  }

  private static boolean present(JsonNode n) {
    return n != null && !n.isNull();
  }

  private static JsonNode object(JsonNode n, String field) {
    if (!n.isObject()) {
      throw new IllegalArgumentException("stored config field " + field + " is not an object");
    }
    return n;
  }

  /** A string field holding a wire name, decoded by {@code fromWire}; null if absent. */
  private static <T> T wireName(
      JsonNode parent, String field, Function<String, T> fromWire, String what) {
    String name = text(parent, field);
    if (name == null) {
      return null;
    }
    T value = fromWire.apply(name);
    if (value == null) {
      throw new IllegalArgumentException("unknown " + what + " in stored config: " + name);
    }
    return value;
  }

  private static String text(JsonNode parent, String field) {
    return field(parent, field, null, JsonNode::isTextual, "a string", JsonNode::textValue);
  }

  private static boolean bool(JsonNode parent, String field, boolean absent) {
    return field(parent, field, absent, JsonNode::isBoolean, "a boolean", JsonNode::booleanValue);
  }

  private static Long longValue(JsonNode parent, String field) {
    return field(
        parent,
        field,
        null,
        n -> n.isIntegralNumber() && n.canConvertToLong(),
        "an integer",
        JsonNode::longValue);
  }

  /**
   * The value of a scalar field: {@code absent} if it is missing or null; else {@code value} of it
   * if it {@code is} of the expected {@code kind}; else IllegalArgumentException.
   */
  private static <T> T field(
      JsonNode parent,
      String field,
      T absent,
      Predicate<JsonNode> is,
      String kind,
      Function<JsonNode, T> value) {
    JsonNode n = parent.get(field);
    if (!present(n)) {
      return absent;
    }
    if (!is.test(n)) {
      throw new IllegalArgumentException("stored config field " + field + " is not " + kind);
    }
    return value.apply(n);
  }
}
