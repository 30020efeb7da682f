package io.millrace.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.core.ErrorCode;
import io.millrace.core.Names;
import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.LocationInfo;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.Patch;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.core.config.StreamReconfiguration.DeleteOnEmptyReconfiguration;
import io.millrace.core.config.StreamReconfiguration.TimestampingReconfiguration;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.Header;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.io.IOException;
import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The JSON forms of the S2 v1 API (spec sections 3 to 6): request bodies into core types, core
 * types into response bodies. Shape problems (malformed JSON, wrong types, missing required keys,
 * unknown enum values, u64 out of range) are 400 {@code bad_json}; unknown keys are ignored. A u64
 * above {@link Long#MAX_VALUE} saturates to it (Java has no unsigned long in the core types).
 */
final class JsonCodec {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  private JsonCodec() {}

  /** {@code POST /v1/basins} body; {@code location} null when none was given. */
  record CreateBasinRequest(String basin, BasinConfig config, String location) {}

  /** {@code PUT /v1/basins/{basin}} body; {@code location} null when none was given. */
  record EnsureBasinRequest(BasinConfig config, String location) {}

  /** {@code POST /v1/streams} body. */
  record CreateStreamRequest(String stream, StreamConfig config) {}

  // ------------------------------------------------------------------------------------------
  // Reading

  static CreateBasinRequest createBasinRequest(byte[] body) {
    ObjectNode o = object(parse(body), "");
    String basin = requiredString(o, "basin");
    String problem = Names.basinNameProblem(basin);
    if (problem != null) {
      throw badJson("basin: " + problem);
    }
    BasinConfig config = basinConfig(o.get("config"), "config");
    return new CreateBasinRequest(
        basin, config == null ? BasinConfig.DEFAULT : config, location(o));
  }

  /**
   * {@code PUT /v1/basins/{basin}} body: {@code {"config": BasinConfig|null, "location":
   * string|null}}.
   */
  static EnsureBasinRequest ensureBasinRequest(byte[] body) {
    ObjectNode o = object(parse(body), "");
    BasinConfig config = basinConfig(o.get("config"), "config");
    return new EnsureBasinRequest(config == null ? BasinConfig.DEFAULT : config, location(o));
  }

  /** A basin request's {@code location}, or {@code scope} as clients before May 2026 send it. */
  private static String location(ObjectNode o) {
    String location = optionalString(o.get("location"), "location");
    return location != null ? location : optionalString(o.get("scope"), "scope");
  }

  /** {@code PUT /v1/locations/default} body: a JSON string, the location's name. */
  static String locationName(byte[] body) {
    JsonNode n = parse(body);
    if (!n.isTextual()) {
      throw badJson("request body: expected a JSON string (the location name)");
    }
    return n.textValue();
  }

  static BasinReconfiguration basinReconfiguration(byte[] body) {
    ObjectNode o = object(parse(body), "");
    return new BasinReconfiguration(
        patch(o, "default_stream_config", n -> streamReconfiguration(n, "default_stream_config")),
        patch(o, "stream_cipher", n -> cipher(n, "stream_cipher")),
        patch(o, "create_stream_on_append", n -> bool(n, "create_stream_on_append")),
        patch(o, "create_stream_on_read", n -> bool(n, "create_stream_on_read")));
  }

  static CreateStreamRequest createStreamRequest(byte[] body) {
    ObjectNode o = object(parse(body), "");
    String stream = requiredString(o, "stream");
    String problem = Names.streamNameProblem(stream);
    if (problem != null) {
      throw badJson("stream: " + problem);
    }
    StreamConfig config = streamConfig(o.get("config"), "config");
    return new CreateStreamRequest(stream, config == null ? StreamConfig.EMPTY : config);
  }

  /** {@code PUT /v1/streams/{stream}} body: a bare StreamConfig (or null). */
  static StreamConfig streamConfig(byte[] body) {
    StreamConfig config = streamConfig(parse(body), "");
    return config == null ? StreamConfig.EMPTY : config;
  }

  static StreamReconfiguration streamReconfiguration(byte[] body) {
    return streamReconfiguration(parse(body), "");
  }

  static AppendInput appendInput(byte[] body, RecordFormat format) {
    ObjectNode o = object(parse(body), "");
    JsonNode records = o.get("records");
    if (records == null || !records.isArray()) {
      throw badJson("records: expected an array of records");
    }
    List<AppendRecord> list = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      list.add(appendRecord(records.get(i), "records[" + i + "]", format));
    }
    Long matchSeqNum = optionalU64(o.get("match_seq_num"), "match_seq_num");
    String fencingToken = optionalString(o.get("fencing_token"), "fencing_token");
    return new AppendInput(list, matchSeqNum, fencingToken);
  }

  private static AppendRecord appendRecord(JsonNode n, String path, RecordFormat format) {
    ObjectNode o = object(n, path);
    Long timestamp = optionalU64(o.get("timestamp"), at(path, "timestamp"));
    List<Header> headers = new ArrayList<>();
    JsonNode hs = o.get("headers");
    if (hs != null && !hs.isNull()) {
      if (!hs.isArray()) {
        throw badJson(at(path, "headers") + ": expected an array of [name, value] pairs");
      }
      for (int i = 0; i < hs.size(); i++) {
        JsonNode h = hs.get(i);
        String hp = at(path, "headers[" + i + "]");
        if (!h.isArray() || h.size() != 2 || !h.get(0).isTextual() || !h.get(1).isTextual()) {
          throw badJson(hp + ": expected a [name, value] pair of strings");
        }
        headers.add(
            new Header(
                format.decode(h.get(0).textValue(), hp + " name"),
                format.decode(h.get(1).textValue(), hp + " value")));
      }
    }
    String body = optionalString(o.get("body"), at(path, "body"));
    byte[] bytes = body == null ? new byte[0] : format.decode(body, at(path, "body"));
    return new AppendRecord(timestamp, headers, bytes);
  }

  private static BasinConfig basinConfig(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    ObjectNode o = object(n, path);
    StreamConfig dsc =
        streamConfig(o.get("default_stream_config"), at(path, "default_stream_config"));
    String cipherValue = cipher(o.get("stream_cipher"), at(path, "stream_cipher"));
    Boolean onAppend =
        optionalBool(o.get("create_stream_on_append"), at(path, "create_stream_on_append"));
    Boolean onRead =
        optionalBool(o.get("create_stream_on_read"), at(path, "create_stream_on_read"));
    return new BasinConfig(
        dsc, cipherValue, onAppend != null && onAppend, onRead != null && onRead);
  }

  private static String cipher(JsonNode n, String path) {
    String s = optionalString(n, path);
    if (s != null && !s.equals("aegis-256") && !s.equals("aes-256-gcm")) {
      throw badJson(path + ": unknown cipher '" + s + "', expected aegis-256 or aes-256-gcm");
    }
    return s;
  }

  private static StreamConfig streamConfig(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    ObjectNode o = object(n, path);
    StorageClass storageClass = storageClass(o.get("storage_class"), at(path, "storage_class"));
    RetentionPolicy retention = retention(o.get("retention_policy"), at(path, "retention_policy"));
    Timestamping timestamping = null;
    JsonNode ts = o.get("timestamping");
    if (ts != null && !ts.isNull()) {
      ObjectNode t = object(ts, at(path, "timestamping"));
      timestamping =
          new Timestamping(
              mode(t.get("mode"), at(path, "timestamping.mode")),
              optionalBool(t.get("uncapped"), at(path, "timestamping.uncapped")));
    }
    DeleteOnEmpty deleteOnEmpty = null;
    JsonNode doe = o.get("delete_on_empty");
    if (doe != null && !doe.isNull()) {
      ObjectNode d = object(doe, at(path, "delete_on_empty"));
      deleteOnEmpty =
          new DeleteOnEmpty(
              optionalU64(d.get("min_age_secs"), at(path, "delete_on_empty.min_age_secs")));
    }
    return new StreamConfig(storageClass, retention, timestamping, deleteOnEmpty);
  }

  private static StreamReconfiguration streamReconfiguration(JsonNode n, String path) {
    ObjectNode o = object(n, path);
    Patch<TimestampingReconfiguration> timestamping =
        patch(
            o,
            "timestamping",
            t -> {
              ObjectNode to = object(t, at(path, "timestamping"));
              return new TimestampingReconfiguration(
                  patch(to, "mode", m -> mode(m, at(path, "timestamping.mode"))),
                  patch(to, "uncapped", u -> bool(u, at(path, "timestamping.uncapped"))));
            });
    Patch<DeleteOnEmptyReconfiguration> deleteOnEmpty =
        patch(
            o,
            "delete_on_empty",
            d -> {
              ObjectNode dobj = object(d, at(path, "delete_on_empty"));
              return new DeleteOnEmptyReconfiguration(
                  patch(
                      dobj, "min_age_secs", v -> u64(v, at(path, "delete_on_empty.min_age_secs"))));
            });
    return new StreamReconfiguration(
        patch(o, "storage_class", s -> storageClass(s, at(path, "storage_class"))),
        patch(o, "retention_policy", r -> retention(r, at(path, "retention_policy"))),
        timestamping,
        deleteOnEmpty);
  }

  private static StorageClass storageClass(JsonNode n, String path) {
    String s = optionalString(n, path);
    if (s == null) {
      return null;
    }
    StorageClass c = StorageClass.fromWire(s);
    if (c == null) {
      throw badJson(path + ": unknown storage class '" + s + "', expected standard or express");
    }
    return c;
  }

  private static TimestampingMode mode(JsonNode n, String path) {
    String s = optionalString(n, path);
    if (s == null) {
      return null;
    }
    TimestampingMode m = TimestampingMode.fromWire(s);
    if (m == null) {
      throw badJson(
          path
              + ": unknown timestamping mode '"
              + s
              + "', expected client-prefer, client-require or arrival");
    }
    return m;
  }

  private static RetentionPolicy retention(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    ObjectNode o = object(n, path);
    if (o.size() != 1) {
      throw badJson(path + ": expected exactly one of {\"age\": seconds} or {\"infinite\": {}}");
    }
    if (o.has("age")) {
      return RetentionPolicy.age(u64(o.get("age"), at(path, "age")));
    }
    if (o.has("infinite")) {
      object(o.get("infinite"), at(path, "infinite"));
      return RetentionPolicy.INFINITE;
    }
    throw badJson(path + ": expected {\"age\": seconds} or {\"infinite\": {}}");
  }

  // ------------------------------------------------------------------------------------------
  // Writing

  static byte[] basinInfo(BasinInfo info) {
    return write(basinInfoNode(info));
  }

  static byte[] locationInfo(LocationInfo info) {
    return write(locationNode(info));
  }

  /** {@code GET /v1/locations}: a bare array of location infos. */
  static byte[] locationList(List<LocationInfo> locations) {
    ArrayNode a = NODES.arrayNode();
    for (LocationInfo l : locations) {
      a.add(locationNode(l));
    }
    return write(a);
  }

  private static ObjectNode locationNode(LocationInfo info) {
    ObjectNode o = NODES.objectNode();
    o.put("name", info.name());
    o.put("is_private", info.isPrivate());
    return o;
  }

  static byte[] basinList(ListPage<BasinInfo> page) {
    ObjectNode o = NODES.objectNode();
    ArrayNode items = o.putArray("basins");
    for (BasinInfo b : page.items()) {
      items.add(basinInfoNode(b));
    }
    o.put("has_more", page.hasMore());
    return write(o);
  }

  static byte[] basinConfig(BasinConfig config) {
    ObjectNode o = NODES.objectNode();
    o.set(
        "default_stream_config",
        config.defaultStreamConfig() == null
            ? NODES.nullNode()
            : streamConfigNode(config.defaultStreamConfig()));
    o.put("stream_cipher", config.streamCipher());
    o.put("create_stream_on_append", config.createStreamOnAppend());
    o.put("create_stream_on_read", config.createStreamOnRead());
    return write(o);
  }

  static byte[] streamInfo(StreamInfo info) {
    return write(streamInfoNode(info));
  }

  static byte[] streamList(ListPage<StreamInfo> page) {
    ObjectNode o = NODES.objectNode();
    ArrayNode items = o.putArray("streams");
    for (StreamInfo s : page.items()) {
      items.add(streamInfoNode(s));
    }
    o.put("has_more", page.hasMore());
    return write(o);
  }

  static byte[] streamConfig(StreamConfig config) {
    return write(streamConfigNode(config));
  }

  static byte[] appendAck(AppendAck ack) {
    ObjectNode o = NODES.objectNode();
    o.set("start", position(ack.start()));
    o.set("end", position(ack.end()));
    o.set("tail", position(ack.tail()));
    return write(o);
  }

  static byte[] readBatch(ReadBatch batch, RecordFormat format) {
    ObjectNode o = NODES.objectNode();
    ArrayNode records = o.putArray("records");
    for (SequencedRecord r : batch.records()) {
      ObjectNode rec = records.addObject();
      rec.put("seq_num", r.seqNum());
      rec.put("timestamp", r.timestamp());
      if (!r.headers().isEmpty()) {
        ArrayNode hs = rec.putArray("headers");
        for (Header h : r.headers()) {
          hs.addArray().add(format.encode(h.name())).add(format.encode(h.value()));
        }
      }
      if (r.body().length > 0) {
        rec.put("body", format.encode(r.body()));
      }
    }
    if (batch.tail() != null) {
      o.set("tail", position(batch.tail()));
    }
    return write(o);
  }

  /** {@code {"tail": {"seq_num", "timestamp"}}}: check-tail answer and 416 body. */
  static byte[] tail(StreamPosition tail) {
    ObjectNode o = NODES.objectNode();
    o.set("tail", position(tail));
    return write(o);
  }

  /** {@code {"code", "message"}}. */
  static byte[] error(String code, String message) {
    ObjectNode o = NODES.objectNode();
    o.put("code", code);
    o.put("message", message);
    return write(o);
  }

  /** 412 {@code {"seq_num_mismatch": N}}. */
  static byte[] seqNumMismatch(long expected) {
    ObjectNode o = NODES.objectNode();
    o.put("seq_num_mismatch", expected);
    return write(o);
  }

  /** 412 {@code {"fencing_token_mismatch": "token"}}. */
  static byte[] fencingTokenMismatch(String current) {
    ObjectNode o = NODES.objectNode();
    o.put("fencing_token_mismatch", current);
    return write(o);
  }

  private static ObjectNode basinInfoNode(BasinInfo info) {
    ObjectNode o = NODES.objectNode();
    o.put("name", info.name());
    o.put("location", info.location());
    o.put("created_at", rfc3339(info.createdAt()));
    o.put("deleted_at", rfc3339(info.deletedAt()));
    o.put("state", info.deletedAt() == null ? "active" : "deleting");
    return o;
  }

  private static ObjectNode streamInfoNode(StreamInfo info) {
    ObjectNode o = NODES.objectNode();
    o.put("name", info.name());
    o.put("created_at", rfc3339(info.createdAt()));
    o.put("deleted_at", rfc3339(info.deletedAt()));
    o.put("cipher", info.cipher());
    return o;
  }

  private static ObjectNode streamConfigNode(StreamConfig c) {
    ObjectNode o = NODES.objectNode();
    o.put("storage_class", c.storageClass() == null ? null : c.storageClass().wire());
    if (c.retentionPolicy() == null) {
      o.putNull("retention_policy");
    } else if (c.retentionPolicy().isInfinite()) {
      o.putObject("retention_policy").putObject("infinite");
    } else {
      o.putObject("retention_policy").put("age", c.retentionPolicy().ageSecs());
    }
    if (c.timestamping() == null) {
      o.putNull("timestamping");
    } else {
      ObjectNode t = o.putObject("timestamping");
      t.put("mode", c.timestamping().mode() == null ? null : c.timestamping().mode().wire());
      t.put("uncapped", c.timestamping().uncapped());
    }
    if (c.deleteOnEmpty() == null) {
      o.putNull("delete_on_empty");
    } else {
      o.putObject("delete_on_empty").put("min_age_secs", c.deleteOnEmpty().minAgeSecs());
    }
    return o;
  }

  private static ObjectNode position(StreamPosition p) {
    ObjectNode o = NODES.objectNode();
    o.put("seq_num", p.seqNum());
    o.put("timestamp", p.timestamp());
    return o;
  }

  /** RFC 3339 in UTC, e.g. {@code 2026-11-26T06:15:27.123Z}; null stays null. */
  private static String rfc3339(Instant instant) {
    return instant == null ? null : instant.toString();
  }

  private static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON", e);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Shape helpers

  static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      throw badJson("request body is empty, expected a JSON object");
    }
    JsonNode node;
    try {
      node = MAPPER.readTree(body);
    } catch (IOException e) {
      throw badJson(malformed(e));
    }
    if (node == null || node.isMissingNode()) {
      throw badJson("request body is empty, expected a JSON object");
    }
    String problem = loneSurrogate(node, "");
    if (problem != null) {
      throw badJson(problem);
    }
    return node;
  }

  /**
   * The client-visible description of a parse failure: Jackson's own summary without its source
   * description and feature hints (e.g. {@code StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION}), plus
   * the line and column.
   */
  static String malformed(IOException e) {
    String summary =
        e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getClass().getName();
    summary = summary == null ? "" : summary;
    for (String cut :
        new String[] {"\n", " (start marker at", " at [Source", " [Source", "(for "}) {
      int at = summary.indexOf(cut);
      if (at >= 0) {
        summary = summary.substring(0, at);
      }
    }
    summary = summary.replaceAll("`[A-Za-z]+Feature\\.[A-Z_]+`", "").strip();
    if (summary.contains("Feature") || summary.contains("jackson") || summary.contains("Source:")) {
      summary = "";
    }
    StringBuilder b = new StringBuilder("malformed JSON");
    if (e instanceof JsonProcessingException j && j.getLocation() != null) {
      b.append(" at line ")
          .append(j.getLocation().getLineNr())
          .append(", column ")
          .append(j.getLocation().getColumnNr());
    }
    if (!summary.isEmpty()) {
      b.append(": ").append(summary);
    }
    return b.toString();
  }

  /**
   * Null when every string and key of the tree is well-formed Unicode, else which one has a lone
   * surrogate ({@code "\ud800"} parses, but has no UTF-8 form and would be stored as {@code ?}).
   */
  private static String loneSurrogate(JsonNode node, String path) {
    if (node.isTextual()) {
      return hasLoneSurrogate(node.textValue())
          ? (path.isEmpty() ? "request body" : path) + ": string contains a lone surrogate"
          : null;
    }
    if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        String p = loneSurrogate(node.get(i), path + "[" + i + "]");
        if (p != null) {
          return p;
        }
      }
    } else if (node.isObject()) {
      var fields = node.fields();
      while (fields.hasNext()) {
        var field = fields.next();
        if (hasLoneSurrogate(field.getKey())) {
          return (path.isEmpty() ? "request body" : path) + ": key contains a lone surrogate";
        }
        String p = loneSurrogate(field.getValue(), at(path, field.getKey()));
        if (p != null) {
          return p;
        }
      }
    }
    return null;
  }

  private static boolean hasLoneSurrogate(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return true;
      }
    }
    return false;
  }

  /** {@code path.key}, or just {@code key} at the top level (empty path). */
  private static String at(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static ObjectNode object(JsonNode n, String path) {
    if (n == null || !n.isObject()) {
      throw badJson((path.isEmpty() ? "request body" : path) + ": expected an object");
    }
    return (ObjectNode) n;
  }

  private static String requiredString(ObjectNode o, String key) {
    JsonNode n = o.get(key);
    if (n == null || !n.isTextual()) {
      throw badJson(key + ": expected a string");
    }
    return n.textValue();
  }

  private static String optionalString(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw badJson(path + ": expected a string");
    }
    return n.textValue();
  }

  private static Boolean optionalBool(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    return bool(n, path);
  }

  private static Boolean bool(JsonNode n, String path) {
    if (!n.isBoolean()) {
      throw badJson(path + ": expected a boolean");
    }
    return n.booleanValue();
  }

  private static Long optionalU64(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    return u64(n, path);
  }

  private static long u64(JsonNode n, String path) {
    if (n == null || !n.isIntegralNumber()) {
      throw badJson(path + ": expected a non-negative integer");
    }
    BigInteger v = n.bigIntegerValue();
    if (v.signum() < 0 || v.compareTo(U64_MAX) > 0) {
      throw badJson(path + ": " + v + " is out of range for an unsigned 64-bit integer");
    }
    return v.compareTo(LONG_MAX) > 0 ? Long.MAX_VALUE : v.longValue();
  }

  /** Absent key: keep; null: reset; a value: set (spec section 3.3). */
  private static <T> Patch<T> patch(ObjectNode o, String key, Function<JsonNode, T> parse) {
    if (!o.has(key)) {
      return Patch.keep();
    }
    JsonNode n = o.get(key);
    if (n.isNull()) {
      return Patch.reset();
    }
    T value = parse.apply(n);
    if (value == null) {
      return Patch.reset();
    }
    return Patch.set(value);
  }

  static S2Exception badJson(String message) {
    return new S2Exception(ErrorCode.BAD_JSON, message);
  }
}
