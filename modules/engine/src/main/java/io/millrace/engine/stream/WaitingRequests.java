package io.millrace.engine.stream;

import io.millrace.core.ErrorCode;
import io.millrace.engine.stream.StreamEntity.Append;
import io.millrace.engine.stream.StreamEntity.Command;
import io.millrace.engine.stream.StreamEntity.SessionAppend;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;

/**
 * The requests a stream entity holds while it is busy (loading, opening or sealing a streamlet,
 * rotating), in arrival order, and how requests are refused: with a {@link StreamEntity.Failed}
 * reply; a shutdown is answered, an erase never (only a written tombstone answers it).
 */
final class WaitingRequests {
  private final StashBuffer<Command> stash;

  WaitingRequests(StashBuffer<Command> stash) {
    this.stash = stash;
  }

  /** Holds {@code m} until {@link #unstashAll}. */
  void stash(Command m) {
    stash.stash(m);
  }

  /** Holds {@code m}, or refuses it retryably when the stash is full. */
  void stashOrReject(Command m) {
    if (stash.isFull()) {
      refuse(m, ErrorCode.UNAVAILABLE, "stream is busy; retry");
    } else {
      stash.stash(m);
    }
  }

  /** Processes the held requests with {@code behavior}, in arrival order. */
  Behavior<Command> unstashAll(Behavior<Command> behavior) {
    return stash.unstashAll(behavior);
  }

  /** Refuses every held request. */
  void failAll(ErrorCode code, String message) {
    stash.forEach(m -> refuse(m, code, message));
    stash.clear();
  }

  /** Refuses the held appends (their sessions fail too) and keeps the other held requests. */
  void failAppends(ErrorCode code, String message, FailedSessions sessions) {
    List<Command> keep = new ArrayList<>();
    stash.forEach(
        m -> {
          if (m instanceof SessionAppend sa) {
            sessions.markFailed(sa.sessionId());
          }
          if (m instanceof Append || m instanceof SessionAppend) {
            refuse(m, code, message);
          } else {
            keep.add(m);
          }
        });
    stash.clear();
    keep.forEach(stash::stash);
  }

  /** Refuses request {@code m} with {@code code}. */
  static void refuse(Command m, ErrorCode code, String message) {
    if (m instanceof StreamEntity.Request r) {
      r.replyTo().tell(new StreamEntity.Failed(code, message));
    } else if (m instanceof StreamEntity.Shutdown s) {
      s.replyTo().tell(Done.getInstance());
    }
    // An Erase is never answered here: only a written tombstone answers it (the caller retries).
  }
}
