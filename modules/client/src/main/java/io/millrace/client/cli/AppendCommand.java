package io.millrace.client.cli;

import io.millrace.client.AppendSession;
import io.millrace.client.MillraceClient;
import io.millrace.client.Records;
import io.millrace.client.proto.AppendInput;
import io.millrace.client.proto.AppendOutput;
import io.millrace.client.proto.AppendRecord;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code millrace append BASIN STREAM}: each line of standard input becomes one record. */
@Command(
    name = "append",
    mixinStandardHelpOptions = true,
    description =
        "Append the lines of standard input, one record each (UTF-8, without the line end),"
            + " through a pipelined append session; prints the seq nums appended.")
public final class AppendCommand extends ClientCommand {
  /** Standard input; tests replace it. */
  static InputStream stdin = System.in;

  @Mixin StreamArguments target;

  @Option(
      names = "--batch-size",
      paramLabel = "N",
      description =
          "At most N records per batch (default 1000, at most 1000); a batch also ends at 1 MiB"
              + " and whenever standard input has nothing more to read yet.")
  int batchSize = 1000;

  @Option(
      names = "--match-seq-num",
      paramLabel = "SEQ",
      description =
          "Append only if the stream's tail is SEQ (later batches expect the tail after the"
              + " earlier ones).")
  Long matchSeqNum;

  @Option(
      names = "--fencing-token",
      paramLabel = "TOKEN",
      description = "Append only while the stream is fenced with TOKEN.")
  String fencingToken;

  private static final int MAX_BATCH_BYTES = 1024 * 1024;

  @Override
  int run() throws Exception {
    if (batchSize < 1 || batchSize > 1000) {
      throw new IllegalArgumentException("--batch-size must be 1..1000");
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
    List<CompletionStage<AppendOutput>> acks = new ArrayList<>();
    long records = 0;
    try (MillraceClient client = options.connect(target.basin)) {
      AppendSession session = target.of(client).appendSession();
      List<AppendRecord> batch = new ArrayList<>();
      long batchBytes = 0;
      String line;
      while ((line = in.readLine()) != null) {
        AppendRecord r = Records.of(line);
        if (!batch.isEmpty() && batchBytes + r.getBody().size() + 8 > MAX_BATCH_BYTES) {
          acks.add(session.submit(input(batch, records)));
          records += batch.size();
          batch = new ArrayList<>();
          batchBytes = 0;
        }
        batch.add(r);
        batchBytes += r.getBody().size() + 8;
        if (batch.size() >= batchSize || !in.ready()) {
          acks.add(session.submit(input(batch, records)));
          records += batch.size();
          batch = new ArrayList<>();
          batchBytes = 0;
        }
        if (session.failure() != null) {
          break;
        }
      }
      if (!batch.isEmpty() && session.failure() == null) {
        acks.add(session.submit(input(batch, records)));
        records += batch.size();
      }
      session.close();
      if (acks.isEmpty()) {
        out().println("appended 0 records");
        return 0;
      }
      CompletableFuture.allOf(
              acks.stream()
                  .map(CompletionStage::toCompletableFuture)
                  .toArray(CompletableFuture[]::new))
          .join();
      AppendOutput first = await(acks.get(0));
      AppendOutput last = await(acks.get(acks.size() - 1));
      out()
          .println(
              "appended "
                  + records
                  + " records, seq nums "
                  + first.getStartSeqNum()
                  + ".."
                  + (last.getEndSeqNum() - 1)
                  + ", tail "
                  + last.getNextSeqNum());
    }
    return 0;
  }

  private AppendInput input(List<AppendRecord> batch, long before) {
    AppendInput.Builder b = AppendInput.newBuilder().addAllRecords(batch);
    if (matchSeqNum != null) {
      b.setMatchSeqNum(matchSeqNum + before);
    }
    if (fencingToken != null) {
      b.setFencingToken(fencingToken);
    }
    return b.build();
  }
}
