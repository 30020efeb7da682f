package io.millrace.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.millrace.core.record.StreamPosition;
import java.nio.charset.StandardCharsets;
import org.apache.pekko.util.ByteString;

/**
 * Server-sent events of an SSE read session (spec section 6.4): {@code batch} events with {@code
 * id: seq_num,count,bytes}, {@code ping} events with the time and the tail, an {@code error} event
 * with the JSON error body before the stream ends, and {@code data: [DONE]} on a normal end. JSON
 * never contains a raw newline, so every data field is one line.
 */
final class SseEvents {
  private SseEvents() {}

  private static final ObjectMapper MAPPER = new ObjectMapper();

  static ByteString batch(String id, byte[] json) {
    return event("batch", id, json);
  }

  static ByteString ping(long nowMillis, StreamPosition tail) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("timestamp", nowMillis);
    ObjectNode t = o.putObject("tail");
    t.put("seq_num", tail.seqNum());
    t.put("timestamp", tail.timestamp());
    try {
      return event("ping", null, MAPPER.writeValueAsBytes(o));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ByteString error(Throwable t) {
    return event("error", null, StreamingSessions.errorBody(t).second());
  }

  static ByteString done() {
    return ByteString.fromString("data: [DONE]\n\n", StandardCharsets.UTF_8);
  }

  private static ByteString event(String name, String id, byte[] data) {
    StringBuilder head = new StringBuilder(32).append("event: ").append(name).append('\n');
    if (id != null) {
      head.append("id: ").append(id).append('\n');
    }
    head.append("data: ");
    return ByteString.fromString(head.toString(), StandardCharsets.UTF_8)
        .concat(ByteString.fromArray(data))
        .concat(ByteString.fromString("\n\n", StandardCharsets.UTF_8));
  }
}
