package io.millrace.server;

import com.typesafe.config.Config;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A {@link MillraceServer} started in the test JVM, with an HTTP/1.1 client that sends the bearer
 * token the server printed (its root token). {@link #close()} stops the server if one is running.
 */
final class EmbeddedServer implements AutoCloseable {
  private static final long STOP_LIMIT_SECONDS = 60;

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private MillraceServer server;

  /** The token of the server started last (kept after it stops). */
  private String token = "none";

  /**
   * Starts a server with {@code config}, printing its start lines to {@code out}. If the start
   * fails, the server started before (if any) stays the current one.
   */
  MillraceServer start(Config config, OutputStream out) {
    server = MillraceServer.start(config, new PrintStream(out, true, StandardCharsets.UTF_8));
    token = server.accessToken();
    return server;
  }

  /** The server started last and not stopped since. */
  MillraceServer server() {
    return server;
  }

  /** Stops the current server, if any, waiting up to 60 s. */
  void stop() throws Exception {
    if (server != null) {
      server.stop().toCompletableFuture().get(STOP_LIMIT_SECONDS, TimeUnit.SECONDS);
      server = null;
    }
  }

  @Override
  public void close() throws Exception {
    stop();
  }

  /** {@code path} on the current server's S2 port. */
  URI uri(String path) {
    return URI.create(server.baseUrl() + path);
  }

  /** Sends {@code request} with the bearer token; the body as text. */
  HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(
        request.header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A GET of {@code url} with the bearer token. */
  HttpResponse<String> get(String url) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).GET());
  }

  /** A JSON request to {@code path} on the S2 port, for {@code basin} if it is not null. */
  HttpResponse<String> sendJson(String method, String path, String basin, String json)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(json));
    if (basin != null) {
      b.header("s2-basin", basin);
    }
    return send(b);
  }
}
