package io.millrace.client.cli;

import io.millrace.client.ClientConfig;
import io.millrace.client.Endpoint;
import io.millrace.client.MillraceClient;
import java.time.Duration;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * Where and as whom the CLI connects, shared by every client command. Endpoint: {@code --endpoint},
 * else {@code MILLRACE_GRPC_ENDPOINT}, else {@code S2_BASIN_ENDPOINT} (basin and stream commands,
 * {@code {basin}} replaced by the basin) or {@code S2_ACCOUNT_ENDPOINT}, else {@code
 * http://127.0.0.1:9090}. Token: {@code --token}, else {@code S2_ACCESS_TOKEN}.
 */
public final class ClientOptions {
  /** The environment; tests replace it. */
  static Function<String, String> env = System::getenv;

  static final String DEFAULT_ENDPOINT = "http://127.0.0.1:9090";

  @Option(
      names = "--endpoint",
      paramLabel = "URL",
      description =
          "Millrace gRPC endpoint (the server's --grpc-port): host:port, http://host:port (h2c)"
              + " or https://host[:port]. Default: MILLRACE_GRPC_ENDPOINT, S2_BASIN_ENDPOINT /"
              + " S2_ACCOUNT_ENDPOINT, else "
              + DEFAULT_ENDPOINT
              + ".")
  String endpoint;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = "Access token (default: S2_ACCESS_TOKEN).")
  String token;

  @Option(
      names = "--request-timeout",
      paramLabel = "SECONDS",
      description = "Timeout of each unary call (default: 30).")
  int requestTimeoutSeconds = 30;

  /** The endpoint for account commands, or for commands on {@code basin} when it is not null. */
  Endpoint endpoint(String basin) {
    String e = endpoint;
    if (e == null) {
      e = nonBlank(env.apply("MILLRACE_GRPC_ENDPOINT"));
    }
    if (e == null && basin != null) {
      e = nonBlank(env.apply("S2_BASIN_ENDPOINT"));
    }
    if (e == null) {
      e = nonBlank(env.apply("S2_ACCOUNT_ENDPOINT"));
    }
    if (e == null) {
      e = DEFAULT_ENDPOINT;
    }
    if (basin != null) {
      e = e.replace("{basin}", basin);
    }
    return Endpoint.parse(e);
  }

  String token() {
    return token != null ? token : nonBlank(env.apply("S2_ACCESS_TOKEN"));
  }

  MillraceClient connect(String basin) {
    return connect(basin, 256);
  }

  MillraceClient connect(String basin, int maxInflightBatches) {
    return MillraceClient.create(
        ClientConfig.builder(endpoint(basin))
            .accessToken(token())
            .requestTimeout(Duration.ofSeconds(requestTimeoutSeconds))
            .maxInflightBatches(maxInflightBatches)
            .build());
  }

  private static String nonBlank(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
