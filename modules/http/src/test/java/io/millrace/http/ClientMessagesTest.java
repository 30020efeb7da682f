package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** 5xx error bodies carry no server paths and no Java class names (issue 14 item 6). */
class ClientMessagesTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "WAL write failed: /var/lib/millrace/objects/wal/ab/00000000000000000003.tmp (No space"
            + " left on device)|WAL write failed: <path> (No space left on device)",
        "the metadata store failed: com.datastax.oss.driver.api.core.AllNodesFailedException: All"
            + " nodes failed|the metadata store failed: All nodes failed",
        "java.io.UncheckedIOException: java.nio.file.FileSystemException: C:\\data\\x: busy|<path>"
            + " busy",
        "IllegalStateException: stream 7 epoch 2|stream 7 epoch 2",
        "java.lang.NullPointerException|internal error",
        "stream a/b/c of basin my-basin is busy; retry|stream a/b/c of basin my-basin is busy;"
            + " retry"
      })
  void serverErrorMessagesLoseTheirPathsAndClassNames(String message, String expected) {
    String shown = ClientMessages.forServerError(message);
    assertThat(shown).isEqualTo(expected);
    assertThat(shown).doesNotContain("Exception").doesNotContain("java.").doesNotContain("/var");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {"400|bad name /x/y", "404|stream /a not found"})
  void clientErrorMessagesAreLeftAsTheyAre(int status, String message) {
    assertThat(ClientMessages.forStatus(status, message)).isEqualTo(message);
  }
}
