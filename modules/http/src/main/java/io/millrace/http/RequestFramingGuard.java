package io.millrace.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.pekko.NotUsed;
import org.apache.pekko.util.ByteString;

/**
 * Checks the framing of HTTP/1.1 requests in the bytes a connection receives, before Pekko's parser
 * sees them, and makes Pekko refuse what it would misread.
 *
 * <p>Pekko HTTP 1.3.0 (the newest release served) parses {@code Content-Length} leniently: digits
 * are accumulated in a 64-bit value that wraps around ({@code 18446744073709551617} is read as 1)
 * and whitespace between digits is skipped ({@code 1 2} is read as 12); two such headers that wrap
 * to the same value pass as one. A proxy in front that reads the header correctly frames the body
 * differently, and the rest of the body becomes a second, smuggled request. This guard follows the
 * message framing of every request on the connection (heads, {@code Content-Length} bodies, chunked
 * bodies) and, when a head has a {@code Content-Length} that is not plain digits within 63 bits,
 * several differing ones, both {@code Content-Length} and {@code Transfer-Encoding}, or a {@code
 * Transfer-Encoding} that does not end in {@code chunked}, hands Pekko that head with the framing
 * headers replaced by {@code Content-Length: invalid} and discards everything after it. Pekko then
 * answers 400 (JSON {@code bad_header} via {@link JsonParsingErrorHandler}) and closes the
 * connection; no part of the request reaches the handler.
 *
 * <p>Connections that start with the HTTP/2 preface, or switch to HTTP/2 after an {@code h2c}
 * upgrade, and TLS connections (the guard sees encrypted bytes) are passed through unchanged.
 * Installed per connection by {@link Telemetry}, Pekko's connection interception hook, which Pekko
 * uses on the HTTP/2-enabled binding path (the edge's default), inside the {@link ConnectionGuard}
 * stage that also applies the connection limits and timeouts.
 *
 * <p>Not thread-safe: one instance per connection, driven by one stream stage.
 */
final class RequestFramingGuard {
  /**
   * A request head longer than this is refused (far above any head Pekko's own limits let through
   * in practice, and small enough that scanning what is held stays cheap).
   */
  static final int MAX_HEAD_BYTES = 64 * 1024;

  /** What is handed on in place of a head that is refused before it is complete. */
  private static final ByteString OVERSIZED_HEAD =
      ByteString.fromString(
          "GET / HTTP/1.1\r\nContent-Length: invalid\r\n\r\n", StandardCharsets.US_ASCII);

  private static final int MAX_LINE_BYTES = 64 * 1024;
  private static final ByteString HTTP2_PREFACE_START =
      ByteString.fromString("PRI * HTTP/2.0", StandardCharsets.US_ASCII);

  private enum State {
    HEAD,
    BODY,
    CHUNK_SIZE,
    CHUNK_DATA,
    CHUNK_DATA_END,
    TRAILERS,
    PASS,
    DISCARD
  }

  private State state = State.HEAD;
  private ByteString pending = ByteString.emptyByteString();

  /** How many held head bytes were already searched for the blank line. */
  private int scanned;

  private long remaining;
  private boolean firstByte = true;

  /** Request heads handed on whole so far. */
  private long heads;

  /** Request heads handed on whole so far (each is one request, HTTP/1.1). */
  long heads() {
    return heads;
  }

  /** True while the connection speaks HTTP/1.1 and is between requests or inside a head. */
  boolean betweenBodies() {
    return state == State.HEAD;
  }

  /** True while part of a request head has arrived and its end has not. */
  boolean holdsPartialHead() {
    return state == State.HEAD && !pending.isEmpty();
  }

  /** True once the connection turned out not to be HTTP/1.x cleartext (HTTP/2, TLS). */
  boolean passing() {
    return state == State.PASS;
  }

  /** True once a request was refused: everything after it is discarded. */
  boolean refused() {
    return state == State.DISCARD;
  }

  /** The bytes to hand on for {@code data}, in order; may hold some back until a head is whole. */
  List<ByteString> feed(ByteString data) {
    List<ByteString> out = new ArrayList<>(2);
    ByteString in = pending.isEmpty() ? data : pending.concat(data);
    pending = ByteString.emptyByteString();
    int pos = 0;
    while (pos < in.size()) {
      switch (state) {
        case PASS -> {
          out.add(in.drop(pos));
          return out;
        }
        case DISCARD -> {
          return out;
        }
        case BODY, CHUNK_DATA -> {
          int n = (int) Math.min(remaining, in.size() - pos);
          out.add(in.slice(pos, pos + n));
          pos += n;
          remaining -= n;
          if (remaining == 0) {
            state = state == State.BODY ? State.HEAD : State.CHUNK_DATA_END;
          }
        }
        case HEAD -> {
          if (firstByte) {
            firstByte = false;
            byte b = in.apply(pos);
            if ((b < 'A' || b > 'Z') && b != '\r' && b != '\n') {
              // Not an HTTP/1.x request line (a TLS handshake, for example): not ours to judge.
              state = State.PASS;
              continue;
            }
          }
          int start = pos;
          while (start < in.size() && (in.apply(start) == '\r' || in.apply(start) == '\n')) {
            start++;
          }
          if (start > pos) {
            out.add(in.slice(pos, start));
            pos = start;
            continue;
          }
          int prefix = Math.min(HTTP2_PREFACE_START.size(), in.size() - pos);
          if (in.slice(pos, pos + prefix).equals(HTTP2_PREFACE_START.take(prefix))) {
            if (prefix < HTTP2_PREFACE_START.size()) {
              hold(in.drop(pos));
              return out;
            }
            state = State.PASS;
            continue;
          }
          int end = headEnd(in, Math.max(pos, pos + scanned - 2));
          if (end < 0) {
            if (in.size() - pos > MAX_HEAD_BYTES) {
              // Fail closed: stepping aside here would let a client switch the guard off.
              out.add(OVERSIZED_HEAD);
              state = State.DISCARD;
              return out;
            }
            hold(in.drop(pos));
            scanned = pending.size();
            return out;
          }
          scanned = 0;
          ByteString head = in.slice(pos, end);
          pos = end;
          Framing framing = framing(head);
          if (framing == null) {
            out.add(refusedHead(head));
            state = State.DISCARD;
            return out;
          }
          out.add(head);
          heads++;
          if (framing.chunked()) {
            state = State.CHUNK_SIZE;
          } else if (framing.length() > 0) {
            remaining = framing.length();
            state = State.BODY;
          }
        }
        case CHUNK_SIZE, CHUNK_DATA_END, TRAILERS -> {
          int nl = in.indexOf((byte) '\n', pos);
          if (nl < 0) {
            if (in.size() - pos > MAX_LINE_BYTES) {
              // Pekko refuses such a line; nothing after it on this connection is judged or passed.
              state = State.DISCARD;
              return out;
            }
            hold(in.drop(pos));
            return out;
          }
          ByteString lineBytes = in.slice(pos, nl + 1);
          out.add(lineBytes);
          pos = nl + 1;
          String line = stripCr(lineBytes.slice(0, lineBytes.size() - 1));
          if (state == State.CHUNK_SIZE) {
            long size = chunkSize(line);
            if (size < 0) {
              state = State.DISCARD; // Pekko refuses the line; nothing after it is passed on
            } else if (size == 0) {
              state = State.TRAILERS;
            } else {
              remaining = size;
              state = State.CHUNK_DATA;
            }
          } else if (state == State.CHUNK_DATA_END) {
            state = line.isEmpty() ? State.CHUNK_SIZE : State.DISCARD;
          } else if (line.isEmpty()) {
            state = State.HEAD;
          }
        }
        default -> throw new IllegalStateException("unknown state " + state);
      }
    }
    return out;
  }

  /**
   * Holds {@code rest} until more bytes arrive, as one compact array, so that searching it later
   * costs one pass and not one walk over every read it was made of.
   */
  private void hold(ByteString rest) {
    pending = rest.compact();
  }

  /** How a request's body is delimited. */
  record Framing(boolean chunked, long length) {}

  /**
   * The framing of a request head, or null when the head must be refused (see the class comment).
   */
  static Framing framing(ByteString head) {
    String[] lines = head.decodeString(StandardCharsets.ISO_8859_1).split("\n");
    Long length = null;
    StringBuilder transferEncoding = null;
    for (int i = 1; i < lines.length; i++) {
      String line = stripCr(lines[i]);
      if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
        return null; // obs-fold: Pekko would join it to the previous header (RFC 9112 5.2)
      }
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      String value = trimOws(line.substring(colon + 1));
      if (name.equals("content-length")) {
        long parsed = contentLength(value);
        if (parsed < 0 || (length != null && length != parsed)) {
          return null;
        }
        length = parsed;
      } else if (name.equals("transfer-encoding")) {
        transferEncoding =
            transferEncoding == null
                ? new StringBuilder(value)
                : transferEncoding.append(',').append(value);
      }
    }
    if (transferEncoding != null) {
      if (length != null) {
        return null;
      }
      String[] codings = transferEncoding.toString().split(",");
      String last = codings[codings.length - 1].strip().toLowerCase(Locale.ROOT);
      return last.equals("chunked") ? new Framing(true, 0) : null;
    }
    return new Framing(false, length == null ? 0 : length);
  }

  /** A Content-Length value: 1 to 18 digits (well within 63 bits), else -1. */
  static long contentLength(String value) {
    if (value.isEmpty() || value.length() > 18) {
      return -1;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
    }
    return Long.parseLong(value);
  }

  /** The head with its framing headers replaced by one Pekko refuses. */
  private static ByteString refusedHead(ByteString head) {
    String[] lines = head.decodeString(StandardCharsets.ISO_8859_1).split("\n");
    StringBuilder b = new StringBuilder(stripCr(lines[0])).append("\r\n");
    for (int i = 1; i < lines.length; i++) {
      String line = stripCr(lines[i]);
      if (line.isEmpty()) {
        continue;
      }
      int colon = line.indexOf(':');
      String name = colon <= 0 ? "" : line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
      if (!name.equals("content-length") && !name.equals("transfer-encoding")) {
        b.append(line).append("\r\n");
      }
    }
    b.append("Content-Length: invalid\r\n\r\n");
    return ByteString.fromString(b.toString(), StandardCharsets.ISO_8859_1);
  }

  /** Size of a chunk-size line ({@code 1a;ext=x}), or -1 when it is not one. */
  private static long chunkSize(String line) {
    int semi = line.indexOf(';');
    // As Pekko reads it: spaces and tabs anywhere are skipped, leading zeros are allowed.
    String hex = (semi >= 0 ? line.substring(0, semi) : line).replaceAll("[ \t]", "");
    int firstNonZero = 0;
    while (firstNonZero < hex.length() - 1 && hex.charAt(firstNonZero) == '0') {
      firstNonZero++;
    }
    hex = hex.substring(firstNonZero);
    if (hex.isEmpty() || hex.length() > 15) {
      return -1;
    }
    long size = 0;
    for (int i = 0; i < hex.length(); i++) {
      int d = Character.digit(hex.charAt(i), 16);
      if (d < 0) {
        return -1;
      }
      size = size * 16 + d;
    }
    return size;
  }

  /** Index just after the blank line ending the head that starts at {@code from}, or -1. */
  private static int headEnd(ByteString in, int from) {
    for (int i = in.indexOf((byte) '\n', from); i >= 0; i = in.indexOf((byte) '\n', i + 1)) {
      if (i + 1 < in.size() && in.apply(i + 1) == '\n') {
        return i + 2;
      }
      if (i + 2 < in.size() && in.apply(i + 1) == '\r' && in.apply(i + 2) == '\n') {
        return i + 3;
      }
    }
    return -1;
  }

  private static String stripCr(ByteString line) {
    return stripCr(line.decodeString(StandardCharsets.ISO_8859_1));
  }

  private static String stripCr(String line) {
    return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
  }

  private static String trimOws(String s) {
    int a = 0;
    int b = s.length();
    while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
      a++;
    }
    while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
      b--;
    }
    return s.substring(a, b);
  }

  /** The guard as a flow stage over the bytes a connection receives. */
  static org.apache.pekko.stream.javadsl.Flow<ByteString, ByteString, NotUsed> flow() {
    return org.apache.pekko.stream.javadsl.Flow.of(ByteString.class)
        .statefulMapConcat(
            () -> {
              RequestFramingGuard guard = new RequestFramingGuard();
              return guard::feed;
            });
  }

  /**
   * Pekko's connection interception hook ({@code pekko.http.http2-telemetry-class}, set in this
   * module's {@code reference.conf}): wraps the bytes each accepted connection receives in a {@link
   * RequestFramingGuard}. Pekko instantiates it with the classic actor system.
   */
  public static final class Telemetry
      implements org.apache.pekko.http.impl.engine.http2.TelemetrySpi {

    private final ConnectionGuard connections;

    /** Called by Pekko. */
    public Telemetry(org.apache.pekko.actor.ActorSystem system) {
      this.connections =
          new ConnectionGuard(
              AdmissionSettings.fromConfig(system.settings().config()),
              org.apache.pekko.stream.Materializer.matFromSystem(system));
    }

    @Override
    public org.apache.pekko.stream.scaladsl.BidiFlow<
            org.apache.pekko.http.scaladsl.model.HttpRequest,
            org.apache.pekko.http.scaladsl.model.HttpRequest,
            org.apache.pekko.http.scaladsl.model.HttpResponse,
            org.apache.pekko.http.scaladsl.model.HttpResponse,
            NotUsed>
        client() {
      return org.apache.pekko.stream.javadsl.BidiFlow
          .<org.apache.pekko.http.scaladsl.model.HttpRequest,
              org.apache.pekko.http.scaladsl.model.HttpResponse>
              identity()
          .asScala();
    }

    @Override
    public org.apache.pekko.stream.scaladsl.Flow<
            org.apache.pekko.stream.scaladsl.Tcp.IncomingConnection,
            org.apache.pekko.stream.scaladsl.Tcp.IncomingConnection,
            NotUsed>
        serverBinding() {
      return org.apache.pekko.stream.javadsl.Flow.of(
              org.apache.pekko.stream.scaladsl.Tcp.IncomingConnection.class)
          .map(connections::admit)
          .asScala();
    }

    @Override
    public org.apache.pekko.stream.scaladsl.BidiFlow<
            org.apache.pekko.http.scaladsl.model.HttpResponse,
            org.apache.pekko.http.scaladsl.model.HttpResponse,
            org.apache.pekko.http.scaladsl.model.HttpRequest,
            org.apache.pekko.http.scaladsl.model.HttpRequest,
            NotUsed>
        serverConnection() {
      return org.apache.pekko.stream.javadsl.BidiFlow
          .<org.apache.pekko.http.scaladsl.model.HttpResponse,
              org.apache.pekko.http.scaladsl.model.HttpRequest>
              identity()
          .asScala();
    }
  }
}
