package io.millrace.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 connection for full-duplex tests: writes a request with a chunked body piece by
 * piece and reads the chunked response piece by piece, in any interleaving.
 */
final class RawHttp1 implements AutoCloseable {
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  int status;
  final Map<String, String> headers = new LinkedHashMap<>();
  private ByteArrayOutputStream pending = new ByteArrayOutputStream();

  RawHttp1(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(20_000);
    out = socket.getOutputStream();
    in = socket.getInputStream();
  }

  /** Sends the request head of a chunked request; {@code headers} are name, value pairs. */
  void startChunked(String method, String path, String... headers) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    b.append("Transfer-Encoding: chunked\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      b.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    b.append("\r\n");
    out.write(b.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Sends a request without a body. */
  void get(String path, String... headers) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("GET ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      b.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    b.append("\r\n");
    out.write(b.toString().getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  void chunk(byte[] data) throws IOException {
    if (data.length == 0) {
      return;
    }
    out.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(data);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Ends the chunked request body (the client's half-close). */
  void endBody() throws IOException {
    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  /** Reads the status line and headers. */
  void readHead() throws IOException {
    String statusLine = line();
    status = Integer.parseInt(statusLine.split(" ")[1]);
    for (String l = line(); !l.isEmpty(); l = line()) {
      int colon = l.indexOf(':');
      headers.put(
          l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
    }
  }

  /** Reads response bytes until at least {@code n} are buffered; returns exactly {@code n}. */
  byte[] readBody(int n) throws IOException {
    while (pending.size() < n) {
      byte[] next = nextChunk();
      if (next == null) {
        throw new IOException("response ended after " + pending.size() + " of " + n + " bytes");
      }
      pending.write(next);
    }
    byte[] all = pending.toByteArray();
    byte[] result = java.util.Arrays.copyOf(all, n);
    pending = new ByteArrayOutputStream();
    pending.write(all, n, all.length - n);
    return result;
  }

  /** Reads one S2S frame (length, flags, payload) from the response body. */
  byte[] readFrame() throws IOException {
    byte[] head = readBody(3);
    int length = ((head[0] & 0xFF) << 16) | ((head[1] & 0xFF) << 8) | (head[2] & 0xFF);
    byte[] rest = readBody(length);
    byte[] frame = new byte[3 + length];
    System.arraycopy(head, 0, frame, 0, 3);
    System.arraycopy(rest, 0, frame, 3, length);
    return frame;
  }

  /**
   * True while the server has sent nothing more than what was read (no byte waiting on the socket);
   * never blocks. A reset connection fails with an IOException.
   */
  boolean nothingMoreReceived() throws IOException {
    return pending.size() == 0 && in.available() == 0;
  }

  /** True when the chunked response body has ended with nothing left unread. */
  boolean bodyEnded() throws IOException {
    if (pending.size() > 0) {
      return false;
    }
    byte[] next = nextChunk();
    return next == null;
  }

  /** The next chunk of the response body, or null at its end. */
  private byte[] nextChunk() throws IOException {
    String sizeLine = line();
    int semi = sizeLine.indexOf(';');
    int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
    if (size == 0) {
      for (String l = line(); !l.isEmpty(); l = line()) {
        // trailers
      }
      return null;
    }
    byte[] data = in.readNBytes(size);
    if (data.length < size) {
      throw new IOException("connection closed inside a chunk");
    }
    line();
    return data;
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n') {
        break;
      }
      if (c != '\r') {
        b.write(c);
      }
    }
    if (c < 0 && b.size() == 0) {
      throw new IOException("connection closed");
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
