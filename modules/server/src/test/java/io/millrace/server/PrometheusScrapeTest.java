package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /metrics} on the S2 port (as s2-lite serves it): Prometheus text with latency
 * histograms whose counts move when the node appends, reads and writes metadata, and request counts
 * by route and status.
 */
class PrometheusScrapeTest {
  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private String scrape() throws Exception {
    HttpResponse<String> r = node.send(HttpRequest.newBuilder(node.uri("/metrics")).GET());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type").orElse(""))
        .startsWith("text/plain")
        .contains("version=0.0.4");
    return r.body();
  }

  /** The value of the first sample line starting with {@code prefix} (name and labels). */
  private static double sample(String text, String prefix) {
    Matcher m =
        Pattern.compile("^" + Pattern.quote(prefix) + "\\S* ([0-9.eE+-]+)$", Pattern.MULTILINE)
            .matcher(text);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private HttpResponse<String> post(String path, String basin, String json) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(node.uri(path)).header("Content-Type", "application/json");
    if (basin != null) {
      r.header("s2-basin", basin);
    }
    return node.send(r.POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  @Test
  void histogramsAndRequestCountsMoveAfterAnAppendAndARead() throws Exception {
    node.start(Main.config("127.0.0.1", 0, dataDir), new ByteArrayOutputStream());
    String before = scrape();
    assertThat(before)
        .contains("# TYPE millrace_append_ack_seconds histogram")
        .contains("# TYPE millrace_chunk_write_seconds histogram")
        .contains("# TYPE millrace_segment_flush_seconds histogram")
        .contains("# TYPE millrace_read_seconds histogram")
        .contains("millrace_sessions_open{direction=\"append\",protocol=\"s2s\"} 0")
        .contains("jvm_memory_heap_used_bytes ");
    double acks = sample(before, "millrace_append_ack_seconds_count");
    double chunkWrites = sample(before, "millrace_chunk_write_seconds_count");
    double reads = sample(before, "millrace_read_seconds_count");

    assertThat(post("/v1/basins", null, "{\"basin\":\"scraped-basin\"}").statusCode())
        .isEqualTo(201);
    assertThat(post("/v1/streams", "scraped-basin", "{\"stream\":\"s\"}").statusCode())
        .isEqualTo(201);
    assertThat(
            post("/v1/streams/s/records", "scraped-basin", "{\"records\":[{\"body\":\"a\"}]}")
                .statusCode())
        .isEqualTo(200);
    assertThat(
            node.send(
                    HttpRequest.newBuilder(node.uri("/v1/streams/s/records?seq_num=0"))
                        .header("s2-basin", "scraped-basin")
                        .GET())
                .statusCode())
        .isEqualTo(200);

    String after = scrape();
    assertThat(sample(after, "millrace_append_ack_seconds_count")).isEqualTo(acks + 1);
    assertThat(sample(after, "millrace_chunk_write_seconds_count")).isGreaterThan(chunkWrites);
    assertThat(sample(after, "millrace_read_seconds_count")).isEqualTo(reads + 1);
    assertThat(after)
        .containsPattern("millrace_append_ack_seconds_bucket\\{le=\"[0-9.]+\"\\} 1")
        .contains("millrace_appends_total 1");
    assertThat(
            sample(
                after, "millrace_metadata_call_seconds_count{op=\"createStream\",outcome=\"ok\""))
        .isEqualTo(1);
    assertThat(sample(after, "millrace_http_requests_total{route=\"append\",status=\"200\""))
        .isEqualTo(1);
    assertThat(sample(after, "millrace_http_requests_total{route=\"create_basin\",status=\"201\""))
        .isEqualTo(1);
  }
}
