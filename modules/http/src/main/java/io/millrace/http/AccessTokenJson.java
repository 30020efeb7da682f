package io.millrace.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.core.api.ListPage;
import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.AccessTokenScope;
import io.millrace.core.auth.OpGroups;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.ResourceSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The JSON of access tokens (spec section 4.3): {@code IssueAccessTokenRequest} in, {@code
 * IssueAccessTokenResponse} and {@code ListAccessTokensResponse} out. Shape errors (wrong types, a
 * resource set without exactly one of {@code exact} and {@code prefix}, an unknown operation, an
 * {@code expires_at} that is not RFC 3339) are 400 {@code bad_json}; semantic ones are left to the
 * service (422 {@code invalid}).
 */
final class AccessTokenJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private AccessTokenJson() {}

  /** The body of {@code POST /v1/access-tokens}; {@code expiresAt} null when absent. */
  static AccessTokenInfo issueRequest(byte[] body) {
    JsonNode root = JsonCodec.parse(body);
    if (!root.isObject()) {
      throw JsonCodec.badJson("request body: expected an object");
    }
    JsonNode id = root.get("id");
    if (id == null || !id.isTextual()) {
      throw JsonCodec.badJson("id: expected a string");
    }
    JsonNode auto = root.get("auto_prefix_streams");
    if (auto != null && !auto.isNull() && !auto.isBoolean()) {
      throw JsonCodec.badJson("auto_prefix_streams: expected a boolean");
    }
    JsonNode scope = root.get("scope");
    if (scope == null || !scope.isObject()) {
      throw JsonCodec.badJson("scope: expected an object");
    }
    return new AccessTokenInfo(
        id.asText(),
        instant(root.get("expires_at"), "expires_at"),
        auto != null && auto.asBoolean(),
        scope(scope));
  }

  private static AccessTokenScope scope(JsonNode s) {
    return new AccessTokenScope(
        set(s.get("basins"), "scope.basins"),
        set(s.get("streams"), "scope.streams"),
        set(s.get("access_tokens"), "scope.access_tokens"),
        groups(s.get("op_groups")),
        ops(s.get("ops")));
  }

  private static ResourceSet set(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject() || n.size() != 1) {
      throw JsonCodec.badJson(path + ": expected {\"exact\": name} or {\"prefix\": prefix}");
    }
    Map.Entry<String, JsonNode> e = n.fields().next();
    if (!e.getValue().isTextual()) {
      throw JsonCodec.badJson(path + "." + e.getKey() + ": expected a string");
    }
    return switch (e.getKey()) {
      case "exact" -> ResourceSet.exact(e.getValue().asText());
      case "prefix" -> ResourceSet.prefix(e.getValue().asText());
      default ->
          throw JsonCodec.badJson(path + ": expected {\"exact\": name} or {\"prefix\": prefix}");
    };
  }

  private static OpGroups groups(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw JsonCodec.badJson("scope.op_groups: expected an object");
    }
    return new OpGroups(
        readWrite(n.get("account"), "scope.op_groups.account"),
        readWrite(n.get("basin"), "scope.op_groups.basin"),
        readWrite(n.get("stream"), "scope.op_groups.stream"));
  }

  private static OpGroups.ReadWrite readWrite(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject()) {
      throw JsonCodec.badJson(path + ": expected {\"read\": bool, \"write\": bool}");
    }
    return new OpGroups.ReadWrite(
        bool(n.get("read"), path + ".read"), bool(n.get("write"), path + ".write"));
  }

  private static boolean bool(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return false;
    }
    if (!n.isBoolean()) {
      throw JsonCodec.badJson(path + ": expected a boolean");
    }
    return n.asBoolean();
  }

  private static Set<Operation> ops(JsonNode n) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isArray()) {
      throw JsonCodec.badJson("scope.ops: expected an array of operation names");
    }
    Set<Operation> out = EnumSet.noneOf(Operation.class);
    for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
      JsonNode op = it.next();
      Operation o = op.isTextual() ? Operation.fromWire(op.asText()) : null;
      if (o == null) {
        throw JsonCodec.badJson("scope.ops: unknown operation " + shortText(op));
      }
      out.add(o);
    }
    return out;
  }

  private static Instant instant(JsonNode n, String path) {
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isTextual()) {
      throw JsonCodec.badJson(path + ": expected an RFC 3339 timestamp");
    }
    try {
      return OffsetDateTime.parse(n.asText(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      throw JsonCodec.badJson(path + ": expected an RFC 3339 timestamp");
    }
  }

  private static String shortText(JsonNode n) {
    String s = n.toString();
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }

  // ---- responses

  static byte[] issued(String token) {
    ObjectNode o = NODES.objectNode();
    o.put("access_token", token);
    return write(o);
  }

  static byte[] list(ListPage<AccessTokenInfo> page) {
    ObjectNode o = NODES.objectNode();
    ArrayNode items = o.putArray("access_tokens");
    for (AccessTokenInfo t : page.items()) {
      items.add(info(t));
    }
    o.put("has_more", page.hasMore());
    return write(o);
  }

  static ObjectNode info(AccessTokenInfo t) {
    ObjectNode o = NODES.objectNode();
    o.put("id", t.id());
    if (t.expiresAt() == null) {
      o.putNull("expires_at");
    } else {
      o.put("expires_at", t.expiresAt().toString());
    }
    o.put("auto_prefix_streams", t.autoPrefixStreams());
    ObjectNode s = o.putObject("scope");
    AccessTokenScope scope = t.scope();
    putSet(s, "basins", scope.basins());
    putSet(s, "streams", scope.streams());
    putSet(s, "access_tokens", scope.accessTokens());
    OpGroups g = scope.opGroups();
    if (g == null) {
      s.putNull("op_groups");
    } else {
      ObjectNode gn = s.putObject("op_groups");
      putReadWrite(gn, "account", g.account());
      putReadWrite(gn, "basin", g.basin());
      putReadWrite(gn, "stream", g.stream());
    }
    if (scope.ops() == null) {
      s.putNull("ops");
    } else {
      ArrayNode ops = s.putArray("ops");
      scope.ops().forEach(op -> ops.add(op.wire()));
    }
    return o;
  }

  private static void putSet(ObjectNode parent, String field, ResourceSet set) {
    if (set == null) {
      parent.putNull(field);
    } else {
      parent
          .putObject(field)
          .put(set.kind() == ResourceSet.Kind.EXACT ? "exact" : "prefix", set.value());
    }
  }

  private static void putReadWrite(ObjectNode parent, String field, OpGroups.ReadWrite rw) {
    if (rw == null) {
      parent.putNull(field);
    } else {
      parent.putObject(field).put("read", rw.read()).put("write", rw.write());
    }
  }

  private static byte[] write(JsonNode node) {
    try {
      return MAPPER.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON", e);
    }
  }
}
