package io.millrace.http;

import com.typesafe.config.ConfigFactory;
import io.millrace.core.api.RecordService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;

/** The edge bound for a test class, in an actor system of its own; closing stops both. */
final class TestEdge implements AutoCloseable {
  final ActorSystem<Void> system;
  final ServerBinding binding;

  private TestEdge(ActorSystem<Void> system, ServerBinding binding) {
    this.system = system;
    this.binding = binding;
  }

  /**
   * {@link #start(String, String, HttpSettings, StubServices, RecordService, Supplier)} on a free
   * port.
   */
  static TestEdge start(
      String name,
      String config,
      StubServices control,
      RecordService records,
      Supplier<Boolean> ready)
      throws Exception {
    return start(name, config, new HttpSettings("127.0.0.1", 0), control, records, ready);
  }

  /**
   * Starts an actor system named {@code name} logging warnings and above, with {@code config} over
   * the loaded configuration, and binds the edge in it: {@code control} serves basins, streams and
   * locations, {@code records} records.
   */
  static TestEdge start(
      String name,
      String config,
      HttpSettings settings,
      StubServices control,
      RecordService records,
      Supplier<Boolean> ready)
      throws Exception {
    return start(name, config, settings, control, records, null, ready);
  }

  /** As above, authenticating through {@code tokens} (null: auth off). */
  static TestEdge start(
      String name,
      String config,
      HttpSettings settings,
      StubServices control,
      RecordService records,
      io.millrace.core.api.AccessTokenService tokens,
      Supplier<Boolean> ready)
      throws Exception {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            name,
            ConfigFactory.parseString("pekko.loglevel = WARNING\n" + config)
                .withFallback(ConfigFactory.load()));
    ServerBinding binding =
        S2HttpServer.bind(system, settings, control, control, control, records, tokens, ready)
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    return new TestEdge(system, binding);
  }

  int port() {
    return binding.localAddress().getPort();
  }

  @Override
  public void close() throws Exception {
    binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
