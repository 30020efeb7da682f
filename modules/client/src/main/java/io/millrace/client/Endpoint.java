package io.millrace.client;

import java.net.URI;

/**
 * Where the gRPC API listens: {@code host:port} or {@code http://host:port} (cleartext HTTP/2, "h2c
 * with prior knowledge", what {@code millrace serve --grpc-port} speaks without TLS), or {@code
 * https://host[:port]} (TLS, port 443 by default). Any path is ignored.
 */
public record Endpoint(String host, int port, boolean tls) {
  public Endpoint {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("endpoint needs a host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("endpoint port out of range: " + port);
    }
  }

  /** Parses {@code host:port}, {@code http://host:port} or {@code https://host[:port]}. */
  public static Endpoint parse(String text) {
    String t = text == null ? "" : text.trim();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("empty endpoint");
    }
    boolean tls = false;
    if (t.startsWith("https://")) {
      tls = true;
    } else if (!t.startsWith("http://")) {
      t = "http://" + t;
    }
    URI uri;
    try {
      uri = URI.create(t);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not an endpoint: " + text, e);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("not an endpoint: " + text);
    }
    int port = uri.getPort();
    if (port == -1) {
      if (!tls) {
        throw new IllegalArgumentException(
            "a cleartext endpoint needs a port (the server's --grpc-port): " + text);
      }
      port = 443;
    }
    return new Endpoint(uri.getHost(), port, tls);
  }

  @Override
  public String toString() {
    return (tls ? "https://" : "http://") + host + ":" + port;
  }
}
