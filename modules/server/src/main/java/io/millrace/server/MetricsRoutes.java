package io.millrace.server;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/**
 * {@code GET /metrics} on the management port: the node's metrics ({@link NodeStatus#metricsText})
 * in the Prometheus text format. Pekko Management loads it from {@code
 * pekko.management.http.routes.millrace-metrics}.
 */
public final class MetricsRoutes implements ManagementRouteProvider {
  private static final ContentType TYPE =
      ContentTypes.parse(io.millrace.http.EdgeExtras.PROMETHEUS_CONTENT_TYPE);

  private final NodeStatus status;

  /** Called by Pekko Management with the node's actor system. */
  public MetricsRoutes(ExtendedActorSystem system) {
    this.status = NodeStatus.get(Adapter.toTyped(system));
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return Directives.path(
        "metrics",
        () ->
            Directives.get(
                () ->
                    Directives.complete(
                        HttpResponse.create()
                            .withEntity(
                                HttpEntities.create(
                                    TYPE,
                                    status
                                        .metricsText()
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8))))));
  }
}
