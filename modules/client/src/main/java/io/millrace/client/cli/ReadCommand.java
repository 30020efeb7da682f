package io.millrace.client.cli;

import io.millrace.client.MillraceClient;
import io.millrace.client.ReadSession;
import io.millrace.client.Records;
import io.millrace.client.S2Error;
import io.millrace.client.proto.Header;
import io.millrace.client.proto.ReadLimit;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.SequencedRecord;
import java.io.PrintWriter;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code millrace read} and {@code millrace tail}: a read session that prints records, one line
 * each, and stops at the tail (read) or follows it (tail, read --follow), reconnecting from the
 * last seq num it printed when the connection drops.
 */
@Command(
    name = "read",
    mixinStandardHelpOptions = true,
    description =
        "Print records from a start (default seq num 0) up to the tail, or with --follow keep"
            + " following it. Text format: the body as UTF-8, one line per record (command"
            + " records are left out); json: one object per line.")
public class ReadCommand extends ClientCommand {
  @Mixin StreamArguments target;

  static final class Start {
    @Option(names = "--seq-num", paramLabel = "SEQ", description = "Start at this seq num.")
    Long seqNum;

    @Option(
        names = "--timestamp",
        paramLabel = "MS",
        description = "Start at the first record with this timestamp or later.")
    Long timestamp;

    @Option(
        names = {"--tail-offset", "-n"},
        paramLabel = "N",
        description = "Start N records before the tail.")
    Long tailOffset;
  }

  @ArgGroup(exclusive = true, multiplicity = "0..1")
  Start start;

  @Option(names = "--count", paramLabel = "N", description = "Stop after N records.")
  Long count;

  @Option(names = "--bytes", paramLabel = "N", description = "Stop after N metered bytes.")
  Long bytes;

  @Option(
      names = "--until",
      paramLabel = "MS",
      description = "Stop before the first record with a timestamp at or after MS.")
  Long until;

  @Option(
      names = {"--follow", "-f"},
      description = "Keep following the tail.")
  boolean follow;

  @Option(names = "--format", paramLabel = "text|json", description = "Output (default text).")
  String format = "text";

  /** The start when none is given: seq num 0 for read, 10 before the tail for tail. */
  ReadSessionRequest.Builder defaultStart(ReadSessionRequest.Builder b) {
    return b.setSeqNum(0);
  }

  boolean following() {
    return follow;
  }

  @Override
  int run() throws Exception {
    boolean json;
    switch (format) {
      case "text" -> json = false;
      case "json" -> json = true;
      default -> throw new IllegalArgumentException("--format must be text or json");
    }
    ReadSessionRequest.Builder b = ReadSessionRequest.newBuilder().setHeartbeats(true);
    if (start == null) {
      defaultStart(b);
    } else if (start.seqNum != null) {
      b.setSeqNum(start.seqNum);
    } else if (start.timestamp != null) {
      b.setTimestamp(start.timestamp);
    } else {
      b.setTailOffset(start.tailOffset);
    }
    if (count != null || bytes != null) {
      ReadLimit.Builder l = ReadLimit.newBuilder();
      if (count != null) {
        l.setCount(count);
      }
      if (bytes != null) {
        l.setBytes(bytes);
      }
      b.setLimit(l);
    }
    if (until != null) {
      b.setUntil(until);
    }
    boolean follow = following();
    PrintWriter out = out();
    PrintWriter err = err();
    try (MillraceClient client = options.connect(target.basin)) {
      var s = target.of(client);
      long tailAtStart = follow ? Long.MAX_VALUE : await(s.checkTail()).getNextSeqNum();
      AtomicReference<ReadSession> session = new AtomicReference<>();
      ReadSession.Listener listener =
          new ReadSession.Listener() {
            @Override
            public void onBatch(List<SequencedRecord> records) {
              for (SequencedRecord r : records) {
                if (json) {
                  out.println(json(r));
                } else if (!Records.isCommand(r)) {
                  out.println(Records.bodyText(r));
                }
              }
              out.flush();
              long next = records.get(records.size() - 1).getSeqNum() + 1;
              if (!follow && next >= tailAtStart) {
                stop(session);
              }
            }

            @Override
            public void onHeartbeat() {
              // the first heartbeat comes when the session reaches the tail and starts following
              if (!follow) {
                stop(session);
              }
            }

            @Override
            public void onReconnect(S2Error cause, long nextSeqNum, int attempt) {
              err.println("reconnecting (" + cause.getMessage() + ") from seq num " + nextSeqNum);
              err.flush();
            }
          };
      synchronized (session) {
        session.set(s.readSession(b.build(), listener));
        session.notifyAll();
      }
      await(session.get().done());
    }
    return 0;
  }

  private static void stop(AtomicReference<ReadSession> session) {
    synchronized (session) {
      while (session.get() == null) {
        try {
          session.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
    session.get().cancel();
  }

  static String json(SequencedRecord r) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\"seq_num\":")
        .append(Long.toUnsignedString(r.getSeqNum()))
        .append(",\"timestamp\":")
        .append(Long.toUnsignedString(r.getTimestamp()))
        .append(",\"headers\":[");
    Base64.Encoder b64 = Base64.getEncoder();
    for (int i = 0; i < r.getHeadersCount(); i++) {
      Header h = r.getHeaders(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append("[\"")
          .append(b64.encodeToString(h.getName().toByteArray()))
          .append("\",\"")
          .append(b64.encodeToString(h.getValue().toByteArray()))
          .append("\"]");
    }
    sb.append("],\"body\":\"").append(b64.encodeToString(r.getBody().toByteArray())).append("\"}");
    return sb.toString();
  }
}
