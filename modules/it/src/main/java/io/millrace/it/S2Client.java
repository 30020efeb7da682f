package io.millrace.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import s2.v1.AppendAck;
import s2.v1.AppendInput;
import s2.v1.ReadBatch;
import s2.v1.StreamPosition;

/**
 * A small S2 v1 HTTP client on {@link java.net.http.HttpClient} for the crash test and the
 * benchmark: single-endpoint mode (basin in the {@code s2-basin} header), protobuf appends and
 * reads, JSON for the control plane.
 */
public final class S2Client {

  /** Shared JSON mapper. */
  public static final ObjectMapper JSON = new ObjectMapper();

  private static final String PROTOBUF = "application/protobuf";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final HttpClient http;
  private final String token;

  /**
   * A client for the server at {@code base}, e.g. {@code http://127.0.0.1:4321}, sending the token
   * in the environment variable {@code S2_ACCESS_TOKEN} (as the server prints it), else {@code
   * ignored} (enough for a server with {@code --auth off}).
   */
  public S2Client(URI base) {
    this(base, tokenFromEnvironment());
  }

  /** A client for the server at {@code base} sending {@code token} as its bearer token. */
  public S2Client(URI base, String token) {
    this(
        base,
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build(),
        token);
  }

  /** A client for the server at {@code base} using the given HTTP client and bearer token. */
  public S2Client(URI base, HttpClient http, String token) {
    this.base = base;
    this.http = http;
    this.token = token;
  }

  /** {@code S2_ACCESS_TOKEN}, or {@code ignored} when it is not set. */
  public static String tokenFromEnvironment() {
    String t = System.getenv("S2_ACCESS_TOKEN");
    return t == null || t.isBlank() ? "ignored" : t.trim();
  }

  /** An HTTP answer: status, headers and body bytes. */
  public record Response(int status, HttpHeaders headers, byte[] body) {
    /** The body as UTF-8 text. */
    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /** The body parsed as JSON. */
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + text(), e);
      }
    }
  }

  /** A non-success HTTP answer where success was expected. */
  public static final class UnexpectedStatus extends RuntimeException {
    private final int status;
    private final String body;

    /** Describes a request that answered {@code status} with {@code body}. */
    public UnexpectedStatus(String what, int status, String body) {
      super(what + " answered " + status + ": " + body);
      this.status = status;
      this.body = body;
    }

    /** The HTTP status. */
    public int status() {
      return status;
    }

    /** The response body text. */
    public String body() {
      return body;
    }
  }

  /** The request path of a stream, with the name percent-encoded as one segment. */
  public static String streamPath(String stream) {
    return "/v1/streams/" + URLEncoder.encode(stream, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** A request builder for {@code path} carrying the bearer token and, if given, s2-basin. */
  public HttpRequest.Builder request(String path, String basin) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path))
            .timeout(REQUEST_TIMEOUT)
            .header("authorization", "Bearer " + token);
    if (basin != null) {
      b.header("s2-basin", basin);
    }
    return b;
  }

  /** Sends a request and waits for the answer. */
  public Response send(HttpRequest request) throws IOException {
    try {
      HttpResponse<byte[]> res = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Response(res.statusCode(), res.headers(), res.body());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** Sends a request asynchronously. */
  public CompletableFuture<Response> sendAsync(HttpRequest request) {
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(res -> new Response(res.statusCode(), res.headers(), res.body()));
  }

  /** A JSON request with the given method and body. */
  public HttpRequest jsonRequest(String method, String path, String basin, String json) {
    return request(path, basin)
        .header("content-type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(json))
        .build();
  }

  /** Creates a basin with the given config JSON (or {@code null}); expects 201. */
  public void createBasin(String basin, String configJson) throws IOException {
    String body = "{\"basin\":\"" + basin + "\",\"config\":" + configJson + "}";
    Response res = send(jsonRequest("POST", "/v1/basins", null, body));
    expect(201, res, "create basin " + basin);
  }

  /** Creates a stream with the given config JSON (or {@code null}); expects 201. */
  public void createStream(String basin, String stream, String configJson) throws IOException {
    String body =
        "{\"stream\":" + JSON.writeValueAsString(stream) + ",\"config\":" + configJson + "}";
    Response res = send(jsonRequest("POST", "/v1/streams", basin, body));
    expect(201, res, "create stream " + stream);
  }

  /** A protobuf append request asking for a protobuf ack. */
  public HttpRequest appendProtoRequest(String basin, String stream, AppendInput input) {
    return request(streamPath(stream) + "/records", basin)
        .header("content-type", PROTOBUF)
        .header("accept", PROTOBUF)
        .POST(HttpRequest.BodyPublishers.ofByteArray(input.toByteArray()))
        .build();
  }

  /** Appends through the protobuf path; returns the ack or throws {@link UnexpectedStatus}. */
  public AppendAck appendProto(String basin, String stream, AppendInput input) throws IOException {
    return parseAck(send(appendProtoRequest(basin, stream, input)), "append to " + stream);
  }

  /** Parses a protobuf append answer, or throws {@link UnexpectedStatus} if it is not 200. */
  public static AppendAck parseAck(Response res, String what) {
    expect(200, res, what);
    try {
      return AppendAck.parseFrom(res.body());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(what + ": undecodable AppendAck", e);
    }
  }

  /** Reads (protobuf) from {@code seqNum} with at most {@code count} records; expects 200. */
  public ReadBatch readProto(String basin, String stream, long seqNum, int count)
      throws IOException {
    HttpRequest req =
        request(streamPath(stream) + "/records?seq_num=" + seqNum + "&count=" + count, basin)
            .header("accept", PROTOBUF)
            .GET()
            .build();
    Response res = send(req);
    expect(200, res, "read " + stream + " from " + seqNum);
    try {
      return ReadBatch.parseFrom(res.body());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("undecodable ReadBatch", e);
    }
  }

  /** The stream's tail; expects 200. */
  public StreamPosition checkTail(String basin, String stream) throws IOException {
    Response res = send(request(streamPath(stream) + "/records/tail", basin).GET().build());
    expect(200, res, "check tail of " + stream);
    JsonNode tail = res.json().get("tail");
    return StreamPosition.newBuilder()
        .setSeqNum(tail.get("seq_num").asLong())
        .setTimestamp(tail.get("timestamp").asLong())
        .build();
  }

  private static void expect(int status, Response res, String what) {
    if (res.status() != status) {
      throw new UnexpectedStatus(what, res.status(), res.text());
    }
  }
}
