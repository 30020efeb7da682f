package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stream encryption through the real server on the local object store and SQLite: what a client
 * appends to an encrypted stream reads back with its key, and no file under the data dir (WAL
 * chunks, segments, the metadata database) holds a record's headers or body, or the key.
 */
class EncryptionAtRestTest {
  private static final String MARKER = "MARKER-c4f1e0-plaintext";
  private static final byte[] KEY = new byte[32];
  private static final String KEY_B64;

  static {
    for (int i = 0; i < KEY.length; i++) {
      KEY[i] = (byte) (0xA0 + i);
    }
    KEY_B64 = Base64.getEncoder().encodeToString(KEY);
  }

  @TempDir Path dataDir;

  private final EmbeddedServer node = new EmbeddedServer();

  @AfterEach
  void stop() throws Exception {
    node.close();
  }

  private void start() {
    node.start(Main.config("127.0.0.1", 0, dataDir), new ByteArrayOutputStream());
  }

  private HttpResponse<String> records(String method, String query, String body, String key)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(node.uri("/v1/streams/ledger/records" + query))
            .header("s2-basin", "vault-basin")
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("s2-encryption-key", key);
    }
    return node.send(b);
  }

  private static List<Path> files(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.filter(Files::isRegularFile).toList();
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  @Test
  void anEncryptedStreamsRecordsAndKeyAreInNoFileOfTheDataDir() throws Exception {
    start();
    assertThat(
            node.sendJson(
                    "POST",
                    "/v1/basins",
                    null,
                    "{\"basin\":\"vault-basin\",\"config\":{\"stream_cipher\":\"aes-256-gcm\"}}")
                .statusCode())
        .isEqualTo(201);
    HttpResponse<String> created =
        node.sendJson("POST", "/v1/streams", "vault-basin", "{\"stream\":\"ledger\"}");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.body()).contains("\"cipher\":\"aes-256-gcm\"");

    String batch =
        "{\"records\":[{\"headers\":[[\"x-"
            + MARKER
            + "\",\"hv-"
            + MARKER
            + "\"]],\"body\":\"body-"
            + MARKER
            + "\"}]}";
    assertThat(records("POST", "", batch, KEY_B64).statusCode()).isEqualTo(200);
    HttpResponse<String> noKey = records("POST", "", batch, null);
    assertThat(noKey.statusCode()).isEqualTo(400);
    assertThat(noKey.body()).contains("\"code\":\"bad_header\"").contains("missing encryption key");
    HttpResponse<String> read = records("GET", "?seq_num=0", null, KEY_B64);
    assertThat(read.statusCode()).isEqualTo(200);
    assertThat(read.body()).contains("body-" + MARKER).contains("hv-" + MARKER);
    byte[] other = KEY.clone();
    other[31] ^= 1;
    HttpResponse<String> wrong =
        records("GET", "?seq_num=0", null, Base64.getEncoder().encodeToString(other));
    assertThat(wrong.statusCode()).isEqualTo(400);
    assertThat(wrong.body()).contains("\"code\":\"decryption_failed\"").doesNotContain(MARKER);

    // A graceful stop flushes the stream's records into a segment; the WAL chunk stays. Both are
    // small objects, so the embedded store (layout 2) keeps them in its journal files.
    node.stop();

    List<Path> files = files(dataDir);
    assertThat(files).anyMatch(p -> p.toString().contains("journal.d"));
    assertThat(files)
        .anyMatch(
            p ->
                p.getFileName().toString().contains("sqlite")
                    || p.getFileName().toString().endsWith(".db"));
    List<byte[]> needles =
        List.of(
            MARKER.getBytes(StandardCharsets.UTF_8), KEY, KEY_B64.getBytes(StandardCharsets.UTF_8));
    for (Path f : files) {
      byte[] content = Files.readAllBytes(f);
      for (byte[] needle : needles) {
        assertThat(contains(content, needle)).as("%s holds a secret", f).isFalse();
      }
    }

    // The records are there: they read back with the key after a restart.
    start();
    HttpResponse<String> again = records("GET", "?seq_num=0", null, KEY_B64);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).contains("body-" + MARKER);
  }

  @Test
  void aegis256IsRefusedAtBasinCreationAndReconfiguration() throws Exception {
    start();
    HttpResponse<String> create =
        node.sendJson(
            "POST",
            "/v1/basins",
            null,
            "{\"basin\":\"aegis-basin\",\"config\":{\"stream_cipher\":\"aegis-256\"}}");
    assertThat(create.statusCode()).isEqualTo(422);
    assertThat(create.body()).contains("\"code\":\"invalid\"").contains("aegis-256");
    assertThat(
            node.sendJson("POST", "/v1/basins", null, "{\"basin\":\"aegis-basin\"}").statusCode())
        .isEqualTo(201);
    HttpResponse<String> patch =
        node.sendJson("PATCH", "/v1/basins/aegis-basin", null, "{\"stream_cipher\":\"aegis-256\"}");
    assertThat(patch.statusCode()).isEqualTo(422);
    assertThat(patch.body()).contains("aegis-256");
  }
}
