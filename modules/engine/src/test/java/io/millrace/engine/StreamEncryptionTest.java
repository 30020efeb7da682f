package io.millrace.engine;

import static io.millrace.engine.DataPlaneFixture.BASIN;
import static io.millrace.engine.DataPlaneFixture.START_MS;
import static io.millrace.engine.DataPlaneFixture.acked;
import static io.millrace.engine.DataPlaneFixture.await;
import static io.millrace.engine.DataPlaneFixture.failure;
import static io.millrace.engine.DataPlaneFixture.fromSeq;
import static io.millrace.engine.DataPlaneFixture.input;
import static io.millrace.engine.DataPlaneFixture.rec;
import static io.millrace.engine.DataPlaneFixture.records;
import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.AppendSession;
import io.millrace.core.api.EncryptionKey;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.config.StreamCipher;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.CommandRecords;
import io.millrace.core.record.Header;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.metadata.StreamRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamEncryptionTest {
  private static final String MARKER = "MARKER-7f3a-do-not-store";
  private static final byte[] KEY_BYTES = bytes(11);
  private static final EncryptionKey KEY = EncryptionKey.of(KEY_BYTES);
  private static final EncryptionKey OTHER_KEY = EncryptionKey.of(bytes(12));

  private final DataPlaneFixture fx = new DataPlaneFixture();
  private final TestClock clock = new TestClock(START_MS);

  @AfterEach
  void tearDown() {
    fx.close();
  }

  private static byte[] bytes(int first) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (first * 7 + i);
    }
    return k;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private DataPlane node(String overrides) {
    return fx.start(overrides, clock).dataPlane;
  }

  private String encryptedStream(String name) {
    fx.resolver.create(BASIN, name, StreamConfig.EMPTY, StreamCipher.AES_256_GCM.storedName());
    return name;
  }

  private static AppendRecord secret(long ts, int i) {
    return new AppendRecord(
        ts,
        List.of(new Header(utf8("x-" + MARKER), utf8("hv-" + MARKER + i))),
        utf8("body-" + MARKER + "-" + i));
  }

  /** Whether any stored object contains {@code needle}. */
  private boolean anyObjectContains(byte[] needle) {
    for (String key : fx.objects.keys()) {
      byte[] data = fx.objects.peek(key).orElse(new byte[0]);
      if (indexOf(data, needle) >= 0) {
        return true;
      }
    }
    return false;
  }

  static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void recordsAppendedWithTheKeyReadBackExactlyAndNeitherWalNorSegmentsHoldThemInTheClear() {
    DataPlane dp = node("millrace.engine.passivation-idle-time = 1 s\n");
    String s = encryptedStream("secrets");
    acked(
        dp.append(
            BASIN, s, new AppendInput(List.of(secret(100, 0), secret(200, 1)), null, null), KEY));

    List<SequencedRecord> read = records(await(dp.read(BASIN, s, fromSeq(0), KEY)));
    assertThat(read)
        .containsExactly(
            new SequencedRecord(0, 100, secret(100, 0).headers(), secret(100, 0).body()),
            new SequencedRecord(1, 200, secret(200, 1).headers(), secret(200, 1).body()));

    // The stream passivates: its records go into a segment, the WAL keeps the chunk.
    String id = fx.idOf(s);
    clock.advance(5_000);
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> fx.objects.keys().stream().anyMatch(k -> k.startsWith("segments/" + id)));
    assertThat(fx.objects.keys()).anyMatch(k -> k.startsWith("wal/"));
    assertThat(anyObjectContains(utf8(MARKER))).isFalse();
    assertThat(anyObjectContains(KEY_BYTES)).isFalse();
    assertThat(anyObjectContains(utf8(Base64.getEncoder().encodeToString(KEY_BYTES)))).isFalse();

    // Read back from the segment after reactivation.
    assertThat(records(await(dp.read(BASIN, s, fromSeq(0), KEY))))
        .extracting(r -> new String(r.body(), StandardCharsets.UTF_8))
        .containsExactly("body-" + MARKER + "-0", "body-" + MARKER + "-1");
  }

  @Test
  void aReadWithAnotherKeyFailsWithDecryptionFailed() {
    DataPlane dp = node("");
    String s = encryptedStream("wrong-key");
    acked(dp.append(BASIN, s, input(rec("one")), KEY));

    S2Exception e = failure(dp.read(BASIN, s, fromSeq(0), OTHER_KEY));

    assertThat(e.code()).isEqualTo(ErrorCode.DECRYPTION_FAILED);
    assertThat(e.getMessage()).contains("cannot decrypt record 0").doesNotContain("one");
  }

  @Test
  void appendsReadsAndSessionsWithoutTheKeyAreRefusedWithBadHeaderButCheckTailNeedsNone() {
    DataPlane dp = node("");
    String s = encryptedStream("no-key");
    acked(dp.append(BASIN, s, input(rec("one")), KEY));

    S2Exception append = failure(dp.append(BASIN, s, input(rec("two"))));
    S2Exception read = failure(dp.read(BASIN, s, fromSeq(0)));
    S2Exception session = failure(dp.tailForRead(BASIN, s, null));
    AppendSession appendSession = dp.openAppendSession(BASIN, s);
    S2Exception sessionAppend = failure(appendSession.submit(input(rec("three"))));
    appendSession.close();

    for (S2Exception e : List.of(append, read, session, sessionAppend)) {
      assertThat(e.code()).isEqualTo(ErrorCode.BAD_HEADER);
      assertThat(e.getMessage()).startsWith("missing encryption key");
    }
    assertThat(await(dp.checkTail(BASIN, s)).seqNum()).isEqualTo(1);
    assertThat(await(dp.tailForRead(BASIN, s, KEY)).seqNum()).isEqualTo(1);
  }

  @Test
  void anAppendSessionWithTheKeySealsEveryBatch() {
    DataPlane dp = node("");
    String s = encryptedStream("session");
    AppendSession session = dp.openAppendSession(BASIN, s, KEY);
    List<java.util.concurrent.CompletionStage<AppendOutcome>> acks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      acks.add(session.submit(new AppendInput(List.of(secret(10 + i, i)), null, null)));
    }
    acks.forEach(DataPlaneFixture::acked);
    session.close();

    List<SequencedRecord> read = records(await(dp.read(BASIN, s, fromSeq(0), KEY)));
    assertThat(read).hasSize(5);
    assertThat(read.get(4).headers()).isEqualTo(secret(14, 4).headers());
    assertThat(anyObjectContains(utf8(MARKER))).isFalse();
  }

  @Test
  void fenceAndTrimCommandsOfAnEncryptedStreamStillTakeEffect() {
    DataPlane dp = node("");
    String s = encryptedStream("commands");
    acked(dp.append(BASIN, s, input(rec("0"), rec("1"), rec("2")), KEY));
    acked(dp.append(BASIN, s, input(CommandRecords.fence("owner-7")), KEY));

    assertThat(await(dp.append(BASIN, s, new AppendInput(List.of(rec("x")), null, "owner-1"), KEY)))
        .isEqualTo(new AppendOutcome.FencingTokenMismatch("owner-7"));
    acked(
        dp.append(
            BASIN, s, new AppendInput(List.of(CommandRecords.trim(2)), null, "owner-7"), KEY));
    List<SequencedRecord> read = records(await(dp.read(BASIN, s, fromSeq(0), KEY)));
    assertThat(read).extracting(SequencedRecord::seqNum).containsExactly(2L, 3L, 4L);
    assertThat(read.get(0).body()).isEqualTo(utf8("2"));
    assertThat(read.get(1).headers()).isEqualTo(CommandRecords.fence("owner-7").headers());
  }

  @Test
  void unencryptedStreamsIgnoreAKeyAndStoreRecordsAsTheyCame() {
    DataPlane dp = node("");
    String s = fx.stream("plain");
    acked(dp.append(BASIN, s, input(rec("plain-" + MARKER)), KEY));

    assertThat(records(await(dp.read(BASIN, s, fromSeq(0)))).get(0).body())
        .isEqualTo(utf8("plain-" + MARKER));
    assertThat(records(await(dp.read(BASIN, s, fromSeq(0), OTHER_KEY))).get(0).body())
        .isEqualTo(utf8("plain-" + MARKER));
  }

  @Test
  void aStreamRecordedWithACipherBeforeEncryptionWasAppliedIsServedAsUnencrypted() {
    DataPlane dp = node("");
    fx.resolver.create(BASIN, "legacy", StreamConfig.EMPTY, "aes-256-gcm");
    acked(dp.append(BASIN, "legacy", input(rec("old"))));

    assertThat(records(await(dp.read(BASIN, "legacy", fromSeq(0)))).get(0).body())
        .isEqualTo(utf8("old"));
  }

  // ---------------------------------------------------------------- StreamEncryption itself

  private static StreamRecord row(String id, String cipher) {
    return new StreamRecord(
        BASIN, "s", id, StreamConfig.EMPTY, Instant.EPOCH, null, null, cipher, 1);
  }

  private static ReadOutcome stored(StreamRecord row, AppendRecord... records) {
    AppendInput sealed =
        StreamEncryption.seal(row, new AppendInput(List.of(records), null, null), KEY);
    List<SequencedRecord> out = new ArrayList<>();
    long seq = 0;
    for (AppendRecord r : sealed.records()) {
      out.add(new SequencedRecord(seq++, 1, r.headers(), r.body()));
    }
    return new ReadOutcome.Batch(new ReadBatch(out, null));
  }

  @Test
  void sealedRecordsHaveNoHeadersAndOpenOnlyInTheirOwnStream() {
    StreamRecord a = row("id-a", StreamCipher.AES_256_GCM.storedName());
    StreamRecord b = row("id-b", StreamCipher.AES_256_GCM.storedName());
    ReadOutcome outcome = stored(a, secret(1, 0));

    SequencedRecord sealed = records(outcome).get(0);
    assertThat(sealed.headers()).isEmpty();
    assertThat(indexOf(sealed.body(), utf8(MARKER))).isNegative();
    assertThat(records(StreamEncryption.open(a, outcome, KEY)).get(0).body())
        .isEqualTo(secret(1, 0).body());
    S2Exception moved = catchS2(() -> StreamEncryption.open(b, outcome, KEY));
    assertThat(moved.code()).isEqualTo(ErrorCode.DECRYPTION_FAILED);
  }

  @Test
  void aTamperedOrPlainRecordInAnEncryptedStreamFailsWithDecryptionFailed() {
    StreamRecord a = row("id-a", StreamCipher.AES_256_GCM.storedName());
    SequencedRecord sealed = records(stored(a, secret(1, 0))).get(0);
    byte[] body = sealed.body().clone();
    body[body.length - 1] ^= 1;
    ReadOutcome tampered =
        new ReadOutcome.Batch(
            new ReadBatch(List.of(new SequencedRecord(0, 1, List.of(), body)), null));
    ReadOutcome plain =
        new ReadOutcome.Batch(
            new ReadBatch(
                List.of(
                    new SequencedRecord(
                        0, 1, List.of(new Header(utf8("h"), utf8("v"))), utf8("clear"))),
                null));

    assertThat(catchS2(() -> StreamEncryption.open(a, tampered, KEY)).code())
        .isEqualTo(ErrorCode.DECRYPTION_FAILED);
    assertThat(catchS2(() -> StreamEncryption.open(a, plain, KEY)).code())
        .isEqualTo(ErrorCode.DECRYPTION_FAILED);
  }

  private static S2Exception catchS2(Runnable r) {
    try {
      r.run();
    } catch (S2Exception e) {
      return e;
    }
    throw new AssertionError("expected an S2Exception");
  }
}
