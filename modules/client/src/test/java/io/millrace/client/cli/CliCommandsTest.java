package io.millrace.client.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.client.Endpoint;
import io.millrace.client.FakeS2Server;
import io.millrace.client.Records;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The client commands in process: endpoint and token resolution, and a run against a fake. */
class CliCommandsTest {
  private final Map<String, String> env = new HashMap<>();

  @AfterEach
  void restore() {
    ClientOptions.env = System::getenv;
    AppendCommand.stdin = System.in;
  }

  private ClientOptions options(String endpointFlag) {
    ClientOptions.env = env::get;
    ClientOptions o = new ClientOptions();
    o.endpoint = endpointFlag;
    return o;
  }

  @Test
  void endpointsComeFromTheFlagThenMillraceThenS2Variables() {
    assertThat(options(null).endpoint(null)).isEqualTo(Endpoint.parse("http://127.0.0.1:9090"));
    env.put("S2_ACCOUNT_ENDPOINT", "http://acct:1");
    env.put("S2_BASIN_ENDPOINT", "https://{basin}.example:2");
    assertThat(options(null).endpoint(null)).isEqualTo(new Endpoint("acct", 1, false));
    assertThat(options(null).endpoint("b1")).isEqualTo(new Endpoint("b1.example", 2, true));
    env.put("MILLRACE_GRPC_ENDPOINT", "grpc:3");
    assertThat(options(null).endpoint("b1")).isEqualTo(new Endpoint("grpc", 3, false));
    assertThat(options("https://flag").endpoint("b1")).isEqualTo(new Endpoint("flag", 443, true));
    env.put("S2_ACCESS_TOKEN", "from-env");
    assertThat(options(null).token()).isEqualTo("from-env");
    assertThatThrownBy(() -> Endpoint.parse("http://no-port"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--grpc-port");
  }

  private record Run(int exit, String out, String err) {}

  private static Run run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    AppendCommand.stdin = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    int code =
        MillraceCli.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void commandsRunAgainstAServer() {
    try (FakeS2Server server = new FakeS2Server()) {
      ClientOptions.env = env::get;
      env.put("S2_ACCOUNT_ENDPOINT", "http://127.0.0.1:" + server.port());
      env.put("S2_ACCESS_TOKEN", FakeS2Server.TOKEN);
      assertThat(run("", "basins", "create", "b").out()).isEqualTo("b\tactive\n");
      assertThat(run("", "streams", "create", "b", "s").out()).isEqualTo("s\n");
      Run appended = run("alpha\nbeta\n", "append", "b", "s", "--batch-size", "1");
      assertThat(appended.exit()).as(appended.err()).isZero();
      assertThat(appended.out()).isEqualTo("appended 2 records, seq nums 0..1, tail 2\n");
      assertThat(server.records("b", "s").stream().map(Records::bodyText))
          .containsExactly("alpha", "beta");
      assertThat(run("", "check-tail", "b", "s").out()).startsWith("2\t");
      assertThat(run("", "read", "b", "s").out()).isEqualTo("alpha\nbeta\n");
      assertThat(run("", "read", "b", "s", "--tail-offset", "1").out()).isEqualTo("beta\n");

      Run bad = run("", "streams", "create", "b", "t", "--storage-class", "golden");
      assertThat(bad.exit()).isEqualTo(2);
      assertThat(bad.err()).contains("unknown storage class");
      Run missing = run("", "check-tail", "b", "nope");
      assertThat(missing.exit()).isEqualTo(1);
      assertThat(missing.err()).contains("error: stream_not_found");
    }
  }

  @Test
  void tokensAreIssuedWithTheScopeTheFlagsSayListedAndRevoked() {
    try (FakeS2Server server = new FakeS2Server()) {
      ClientOptions.env = env::get;
      env.put("S2_ACCOUNT_ENDPOINT", "http://127.0.0.1:" + server.port());
      env.put("S2_ACCESS_TOKEN", FakeS2Server.TOKEN);
      Run issued =
          run(
              "",
              "tokens",
              "issue",
              "ci-writer",
              "--basins",
              "prefix:ci-",
              "--streams",
              "exact:events",
              "--op-groups",
              "stream=rw,basin=r",
              "--ops",
              "append,check-tail",
              "--expires-at",
              "4000000000",
              "--auto-prefix-streams");
      assertThat(issued.exit()).as(issued.err()).isZero();
      assertThat(issued.out()).isEqualTo("secret-ci-writer\n");
      assertThat(run("", "tokens", "list", "--prefix", "ci-").out())
          .isEqualTo(
              "ci-writer\t4000000000\tbasins=prefix:ci- streams=exact:events access-tokens=none"
                  + " op-groups=account=,basin=r,stream=rw ops=append,check-tail"
                  + " auto-prefix-streams\n");
      assertThat(run("", "tokens", "list", "--prefix", "other").out()).isEmpty();

      Run badSet = run("", "tokens", "issue", "x", "--basins", "all");
      assertThat(badSet.exit()).isEqualTo(2);
      assertThat(badSet.err()).contains("exact:NAME or prefix:PREFIX");
      Run badGroup = run("", "tokens", "issue", "x", "--op-groups", "stream=x");
      assertThat(badGroup.exit()).isEqualTo(2);
      assertThat(server.calls("IssueAccessToken")).isEqualTo(1);

      assertThat(run("", "tokens", "revoke", "ci-writer").out()).isEqualTo("revoked ci-writer\n");
      assertThat(run("", "tokens", "list").out()).isEmpty();
      Run again = run("", "tokens", "revoke", "ci-writer");
      assertThat(again.exit()).isEqualTo(1);
      assertThat(again.err()).startsWith("error: access_token_not_found: ");
    }
  }
}
