package io.millrace.metadata;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.core.auth.AccessTokenInfo;
import io.millrace.core.auth.AccessTokenScope;
import io.millrace.core.auth.OpGroups;
import io.millrace.core.auth.Operation;
import io.millrace.core.auth.ResourceSet;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;

/**
 * The stored JSON of an access token's scope and auto-prefix flag (column {@code info} of {@code
 * access_tokens}; docs/metadata.md, "Access token JSON"), version {@value #VERSION}:
 *
 * <pre>
 * {"v":1,"auto_prefix_streams":false,
 *  "scope":{"basins":{"prefix":""},"streams":{"exact":"a/b"},"access_tokens":null,
 *           "op_groups":{"account":{"read":true,"write":false},"basin":null,"stream":null},
 *           "ops":["read","append"]}}
 * </pre>
 *
 * A null or absent field is absent in the scope. The id and expiry are columns of their own.
 * Readers ignore unknown fields and unknown operation names (a newer build may know more
 * operations; an operation this build does not know is one it never performs) and reject a {@code
 * v} they do not know.
 */
public final class AccessTokenCodec {
  public static final int VERSION = 1;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private AccessTokenCodec() {}

  public static String toJson(AccessTokenInfo info) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("v", VERSION);
    n.put("auto_prefix_streams", info.autoPrefixStreams());
    ObjectNode s = n.putObject("scope");
    AccessTokenScope scope = info.scope();
    putSet(s, "basins", scope.basins());
    putSet(s, "streams", scope.streams());
    putSet(s, "access_tokens", scope.accessTokens());
    OpGroups g = scope.opGroups();
    if (g == null) {
      s.putNull("op_groups");
    } else {
      ObjectNode gn = s.putObject("op_groups");
      putRw(gn, "account", g.account());
      putRw(gn, "basin", g.basin());
      putRw(gn, "stream", g.stream());
    }
    if (scope.ops() == null) {
      s.putNull("ops");
    } else {
      ArrayNode ops = s.putArray("ops");
      scope.ops().forEach(op -> ops.add(op.wire()));
    }
    return n.toString();
  }

  /**
   * The info of a row.
   *
   * @throws MetadataStoreException if the JSON is not this format
   */
  public static AccessTokenInfo fromJson(String id, Instant expiresAt, String json) {
    try {
      JsonNode n = MAPPER.readTree(json);
      if (n == null || !n.isObject() || n.path("v").asInt(-1) != VERSION) {
        throw new MetadataStoreException(
            "unsupported access token JSON version in row " + id + ": " + n.path("v"), null);
      }
      JsonNode s = n.path("scope");
      JsonNode g = s.path("op_groups");
      OpGroups groups =
          g.isObject()
              ? new OpGroups(rw(g.path("account")), rw(g.path("basin")), rw(g.path("stream")))
              : null;
      Set<Operation> ops = null;
      if (s.path("ops").isArray()) {
        ops = EnumSet.noneOf(Operation.class);
        for (JsonNode op : s.path("ops")) {
          Operation o = Operation.fromWire(op.asText());
          if (o != null) {
            ops.add(o);
          }
        }
      }
      AccessTokenScope scope =
          new AccessTokenScope(
              set(s.path("basins")),
              set(s.path("streams")),
              set(s.path("access_tokens")),
              groups,
              ops);
      return new AccessTokenInfo(
          id, expiresAt, n.path("auto_prefix_streams").asBoolean(false), scope);
    } catch (JsonProcessingException e) {
      throw new MetadataStoreException("unreadable access token JSON in row " + id, e);
    }
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

  private static void putRw(ObjectNode parent, String field, OpGroups.ReadWrite rw) {
    if (rw == null) {
      parent.putNull(field);
    } else {
      parent.putObject(field).put("read", rw.read()).put("write", rw.write());
    }
  }

  private static ResourceSet set(JsonNode n) {
    if (n.has("exact")) {
      return ResourceSet.exact(n.get("exact").asText());
    }
    if (n.has("prefix")) {
      return ResourceSet.prefix(n.get("prefix").asText());
    }
    return null;
  }

  private static OpGroups.ReadWrite rw(JsonNode n) {
    return n.isObject()
        ? new OpGroups.ReadWrite(n.path("read").asBoolean(false), n.path("write").asBoolean(false))
        : null;
  }
}
