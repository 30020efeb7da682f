package io.millrace.engine;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.japi.function.Function3;

/** How the engine's actors that stash while loading and run timers set themselves up. */
public final class ActorSetup {
  private ActorSetup() {}

  /** A behavior that {@code start}s with its context, a stash of {@code capacity}, and timers. */
  public static <T> Behavior<T> withStashAndTimers(
      int capacity,
      Function3<ActorContext<T>, StashBuffer<T>, TimerScheduler<T>, Behavior<T>> start) {
    return Behaviors.withStash(
        capacity,
        stash ->
            Behaviors.setup(
                ctx -> Behaviors.withTimers(timers -> start.apply(ctx, stash, timers))));
  }
}
