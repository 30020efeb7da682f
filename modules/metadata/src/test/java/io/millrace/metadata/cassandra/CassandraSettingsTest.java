package io.millrace.metadata.cassandra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CassandraSettingsTest {

  @Test
  void theReferenceConfigGivesTheDefaultsForOneLocalNode() {
    CassandraSettings fromConfig = CassandraSettings.fromConfig(ConfigFactory.defaultReference());

    assertThat(fromConfig).isEqualTo(CassandraSettings.of(List.of("127.0.0.1:9042")));
    assertThat(fromConfig.keyspace()).isEqualTo("millrace");
    assertThat(fromConfig.username()).isNull();
  }

  @Test
  void configuredValuesOverrideTheReference() {
    CassandraSettings s =
        CassandraSettings.fromConfig(
            ConfigFactory.parseString(
                    "millrace.metadata.cassandra { contact-points = [\"10.0.0.1:9142\", cass-2],"
                        + " local-datacenter = dc1, keyspace = prod, request-timeout = 3 s,"
                        + " serial-consistency = LOCAL_SERIAL, username = u, password = p }")
                .withFallback(ConfigFactory.defaultReference()));

    assertThat(s.contactPointsText()).isEqualTo("10.0.0.1:9142, cass-2:9042");
    assertThat(s.localDatacenter()).isEqualTo("dc1");
    assertThat(s.keyspace()).isEqualTo("prod");
    assertThat(s.requestTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(s.serialConsistency()).isEqualTo("LOCAL_SERIAL");
    assertThat(s.username()).isEqualTo("u");
    assertThat(s.toString()).doesNotContain("p]").contains("auth=u");
  }

  @Test
  void addressesParseWithAndWithoutPortsIncludingIpv6() {
    assertThat(CassandraSettings.parseAddress("host:1234"))
        .isEqualTo(InetSocketAddress.createUnresolved("host", 1234));
    assertThat(CassandraSettings.parseAddress("host"))
        .isEqualTo(InetSocketAddress.createUnresolved("host", 9042));
    assertThat(CassandraSettings.parseAddress("[::1]:9043"))
        .isEqualTo(InetSocketAddress.createUnresolved("::1", 9043));
  }

  @Test
  void invalidSettingsAreRejected() {
    CassandraSettings ok = CassandraSettings.local(9042);
    assertThatThrownBy(() -> ok.withKeyspace("Bad-Name"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ok.withCredentials("user", null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CassandraSettings.of(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
