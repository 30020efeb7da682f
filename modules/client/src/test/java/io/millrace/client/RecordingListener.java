package io.millrace.client;

import io.millrace.client.proto.SequencedRecord;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A read session listener for tests: keeps every delivered record's body text, and for every
 * reconnect its cause and the seq num it resumed from.
 */
final class RecordingListener implements ReadSession.Listener {
  final List<String> bodies = new CopyOnWriteArrayList<>();
  final List<Long> reconnects = new CopyOnWriteArrayList<>();
  final List<S2Error> causes = new CopyOnWriteArrayList<>();

  @Override
  public void onBatch(List<SequencedRecord> records) {
    records.forEach(r -> bodies.add(Records.bodyText(r)));
  }

  @Override
  public void onReconnect(S2Error cause, long nextSeqNum, int attempt) {
    causes.add(cause);
    reconnects.add(nextSeqNum);
  }
}
