package io.millrace.objectstore.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class S3SettingsTest {

  @Test
  void theReferenceConfigWithABucketGivesTheDefaults() {
    S3Settings s =
        S3Settings.fromConfig(
            ConfigFactory.parseString("millrace.objectstore.s3.bucket = b")
                .withFallback(ConfigFactory.defaultReference()));

    assertThat(s).isEqualTo(S3Settings.of("b"));
    assertThat(s.endpoint()).isNull();
    assertThat(s.accessKeyId()).isNull();
  }

  @Test
  void anS3CompatibleServerIsConfiguredWithEndpointPathStyleAndStaticCredentials() {
    S3Settings s =
        S3Settings.fromConfig(
            ConfigFactory.parseString(
                    "millrace.objectstore.s3 { bucket = b, endpoint = \"http://127.0.0.1:9090\","
                        + " path-style = true, access-key-id = millrace,"
                        + " secret-access-key = millrace-secret, key-prefix = \"c1/\","
                        + " request-timeout = 2 s, max-attempts = 3 }")
                .withFallback(ConfigFactory.defaultReference()));

    assertThat(s.endpoint()).isEqualTo(URI.create("http://127.0.0.1:9090"));
    assertThat(s.pathStyle()).isTrue();
    assertThat(s.keyPrefix()).isEqualTo("c1/");
    assertThat(s.toString()).contains("static millrace").doesNotContain("millrace-secret");
    assertThat(s.callTimeout()).isEqualTo(Duration.ofSeconds(6).plus(Duration.ofSeconds(4)));
  }

  @Test
  void aMissingBucketOrHalfOfAKeyPairIsRejected() {
    assertThatThrownBy(() -> S3Settings.fromConfig(ConfigFactory.defaultReference()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bucket");
    assertThatThrownBy(() -> S3Settings.of("b").withCredentials("id", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> S3Settings.of("b").withRetries(Duration.ZERO, 1, Duration.ZERO, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
