package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AppendOutcome;
import io.millrace.core.api.ReadOutcome;
import io.millrace.core.api.ReadRequest;
import io.millrace.core.api.ReadStart;
import io.millrace.core.record.AppendAck;
import io.millrace.core.record.AppendInput;
import io.millrace.core.record.AppendRecord;
import io.millrace.core.record.Header;
import io.millrace.core.record.ReadBatch;
import io.millrace.core.record.SequencedRecord;
import io.millrace.core.record.StreamPosition;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordsTest extends EdgeTestBase {
  private static final String BASIN = "my-basin-1";
  private static final String RECORDS = "/v1/streams/logs%2Fapp/records";
  private static final byte[] BINARY = {0, 1, 2, (byte) 0xff, (byte) 0xfe, 10, (byte) 0x80};
  private static final AppendAck ACK =
      new AppendAck(
          new StreamPosition(3, 1000), new StreamPosition(5, 1001), new StreamPosition(6, 1002));

  private static String b64(byte[] b) {
    return Base64.getEncoder().encodeToString(b);
  }

  /** Appends {@code body} to {@link #RECORDS} in {@link #BASIN} as {@code contentType}. */
  private static HttpResponse<byte[]> appendProto(byte[] body, String contentType, String accept)
      throws Exception {
    return send(
        "POST", RECORDS, body, "Content-Type", contentType, "Accept", accept, "s2-basin", BASIN);
  }

  /** Appends a JSON {@code body} to {@link #RECORDS} in {@link #BASIN}. */
  private static HttpResponse<byte[]> appendJson(String body, String... headers) throws Exception {
    return sendJson("POST", RECORDS, body, inBasin(headers));
  }

  /** GETs {@link #RECORDS} followed by {@code suffix} in {@link #BASIN}. */
  private static HttpResponse<byte[]> getRecords(String suffix, String... headers)
      throws Exception {
    return get(RECORDS + suffix, inBasin(headers));
  }

  private static String[] inBasin(String... headers) {
    String[] all = new String[headers.length + 2];
    all[0] = "s2-basin";
    all[1] = BASIN;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return all;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------------------- append

  @Test
  void jsonAppendInRawFormatPassesRecordsAndConditionsAndAnswersTheAck() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    HttpResponse<byte[]> r =
        appendJson(
            """
            {"records": [{"timestamp": 17, "headers": [["k", "v"], ["k2", ""]], "body": "hello"},
                         {"body": "ünïcode"},
                         {}],
             "match_seq_num": 3, "fencing_token": "fence-1"}
            """);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r))
        .isEqualTo(
            json(
                """
                {"start": {"seq_num": 3, "timestamp": 1000},
                 "end": {"seq_num": 5, "timestamp": 1001},
                 "tail": {"seq_num": 6, "timestamp": 1002}}
                """));
    StubServices.Invocation inv = stubs.only("append");
    assertThat(inv.arg(0)).isEqualTo(BASIN);
    assertThat(inv.arg(1)).isEqualTo("logs/app");
    assertThat(inv.arg(2))
        .isEqualTo(
            new AppendInput(
                List.of(
                    new AppendRecord(
                        17L,
                        List.of(
                            new Header(utf8("k"), utf8("v")), new Header(utf8("k2"), new byte[0])),
                        utf8("hello")),
                    AppendRecord.of(utf8("ünïcode")),
                    AppendRecord.of(new byte[0])),
                3L,
                "fence-1"));
  }

  @Test
  void jsonAppendInBase64FormatCarriesBinaryData() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    for (String format : List.of("base64", "json-binsafe")) {
      HttpResponse<byte[]> r =
          appendJson(
              "{\"records\": [{\"headers\": [[\""
                  + b64(utf8("name"))
                  + "\", \""
                  + b64(BINARY)
                  + "\"]], \"body\": \""
                  + b64(BINARY)
                  + "\", \"timestamp\": null}], \"match_seq_num\": null}",
              "s2-format",
              format);
      assertThat(r.statusCode()).as(format).isEqualTo(200);
    }
    for (StubServices.Invocation inv : stubs.invocations()) {
      AppendInput input = (AppendInput) inv.arg(2);
      assertThat(input.matchSeqNum()).isNull();
      assertThat(input.fencingToken()).isNull();
      assertThat(input.records())
          .containsExactly(
              new AppendRecord(null, List.of(new Header(utf8("name"), BINARY)), BINARY));
    }
  }

  @Test
  void rawAndJsonFormatsAreTheSame() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    String body = "{\"records\": [{\"body\": \"aGk=\"}]}";
    appendJson(body, "s2-format", "raw");
    appendJson(body, "s2-format", "json");
    for (StubServices.Invocation inv : stubs.invocations()) {
      assertThat(((AppendInput) inv.arg(2)).records().get(0).body()).isEqualTo(utf8("aGk="));
    }
  }

  @Test
  void badBase64IsInvalidAndUnknownFormatIsBadHeader() throws Exception {
    HttpResponse<byte[]> bad =
        appendJson("{\"records\": [{\"body\": \"not base64!\"}]}", "s2-format", "base64");
    assertError(bad, 422, "invalid");

    HttpResponse<byte[]> unknown =
        appendJson("{\"records\": [{\"body\": \"x\"}]}", "s2-format", "hex");
    assertError(unknown, 400, "bad_header");

    HttpResponse<byte[]> readUnknown = getRecords("", "s2-format", "BASE64");
    assertError(readUnknown, 400, "bad_header");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void malformedJsonAppendsAreBadJson() throws Exception {
    List<String> bodies =
        List.of(
            "",
            "{\"records\": [",
            "{}",
            "{\"records\": {}}",
            "{\"records\": [1]}",
            "{\"records\": [{\"body\": 5}]}",
            "{\"records\": [{\"headers\": [[\"a\"]]}]}",
            "{\"records\": [{\"headers\": [[\"a\", 1]]}]}",
            "{\"records\": [{\"headers\": {\"a\": \"b\"}}]}",
            "{\"records\": [{\"timestamp\": -1}]}",
            "{\"records\": [{\"timestamp\": \"5\"}]}",
            "{\"records\": [{}], \"match_seq_num\": 18446744073709551616}",
            "{\"records\": [{}], \"match_seq_num\": 1.0}",
            "{\"records\": [{}], \"fencing_token\": 7}",
            "{\"records\": [{}], \"records\": [{}]}");
    for (String body : bodies) {
      HttpResponse<byte[]> r = appendJson(body);
      assertError(r, 400, "bad_json", body);
    }
    HttpResponse<byte[]> noType =
        send("POST", RECORDS, utf8("{\"records\":[{}]}"), "s2-basin", BASIN);
    assertError(noType, 400, "bad_json");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void u64MaximumSaturatesInsteadOfFailing() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    HttpResponse<byte[]> r =
        appendJson(
            "{\"records\": [{\"timestamp\": 18446744073709551615}],"
                + " \"match_seq_num\": 9223372036854775807}");
    assertThat(r.statusCode()).isEqualTo(200);
    AppendInput input = (AppendInput) stubs.only("append").arg(2);
    assertThat(input.records().get(0).timestamp()).isEqualTo(Long.MAX_VALUE);
    assertThat(input.matchSeqNum()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void invalidBatchesAre422BeforeReachingTheService() throws Exception {
    assertEachRefused(
        List.of(
            "{\"records\": []}",
            "{\"records\": [{\"headers\": [[\"\", \"nope\"]]}]}",
            "{\"records\": [{\"headers\": [[\"\", \"fence\"], [\"a\", \"b\"]]}]}",
            "{\"records\": [{}], \"fencing_token\": \"" + "x".repeat(37) + "\"}"),
        body -> appendJson(body),
        422,
        "invalid");
  }

  private static s2.v1.AppendInput protoInput() {
    return s2.v1.AppendInput.newBuilder()
        .addRecords(
            s2.v1.AppendRecord.newBuilder()
                .setTimestamp(42)
                .addHeaders(
                    s2.v1.Header.newBuilder()
                        .setName(ByteString.copyFrom(BINARY))
                        .setValue(ByteString.copyFromUtf8("v")))
                .setBody(ByteString.copyFrom(BINARY)))
        .addRecords(s2.v1.AppendRecord.newBuilder().setBody(ByteString.EMPTY))
        .setMatchSeqNum(3)
        .setFencingToken("")
        .build();
  }

  @Test
  void protobufAppendWithProtobufAcceptRoundTripsBinaryRecords() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    HttpResponse<byte[]> r =
        appendProto(protoInput().toByteArray(), "application/protobuf", "application/protobuf");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("application/protobuf");
    s2.v1.AppendAck ack = s2.v1.AppendAck.parseFrom(r.body());
    assertThat(ack.getStart().getSeqNum()).isEqualTo(3);
    assertThat(ack.getStart().getTimestamp()).isEqualTo(1000);
    assertThat(ack.getEnd().getSeqNum()).isEqualTo(5);
    assertThat(ack.getTail().getSeqNum()).isEqualTo(6);
    assertThat(ack.getTail().getTimestamp()).isEqualTo(1002);
    assertThat(stubs.only("append").arg(2))
        .isEqualTo(
            new AppendInput(
                List.of(
                    new AppendRecord(42L, List.of(new Header(BINARY, utf8("v"))), BINARY),
                    AppendRecord.of(new byte[0])),
                3L,
                ""));
  }

  @Test
  void xProtobufIsProtobufAndIsEchoedInTheResponse() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    HttpResponse<byte[]> r =
        appendProto(protoInput().toByteArray(), "application/x-protobuf", "application/x-protobuf");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("application/x-protobuf");
    assertThat(s2.v1.AppendAck.parseFrom(r.body()).getEnd().getSeqNum()).isEqualTo(5);
  }

  @Test
  void onlyTheFirstAcceptMediaTypeCounts() throws Exception {
    stubs.answer("append", new AppendOutcome.Appended(ACK));
    HttpResponse<byte[]> jsonFirst =
        appendProto(
            protoInput().toByteArray(),
            "application/protobuf",
            "application/json, application/protobuf");
    assertThat(jsonFirst.statusCode()).isEqualTo(200);
    assertThat(contentType(jsonFirst)).isEqualTo("application/json");
    assertThat(json(jsonFirst).get("end").get("seq_num").asLong()).isEqualTo(5);

    HttpResponse<byte[]> protoFirst =
        appendJson("{\"records\":[{}]}", "Accept", "application/protobuf;q=0.9, application/json");
    assertThat(contentType(protoFirst)).isEqualTo("application/protobuf");
    assertThat(s2.v1.AppendAck.parseFrom(protoFirst.body()).getStart().getSeqNum()).isEqualTo(3);
  }

  @Test
  void malformedProtobufIsBadProto() throws Exception {
    HttpResponse<byte[]> r =
        appendProto(
            new byte[] {(byte) 0x0a, (byte) 0xff, 1, 2},
            "application/protobuf",
            "application/protobuf");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r).get("code").asText()).isEqualTo("bad_proto");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void seqNumMismatchIs412WithTheExpectedSeqNum() throws Exception {
    stubs.answer("append", new AppendOutcome.SeqNumMismatch(42));
    HttpResponse<byte[]> r =
        appendProto(protoInput().toByteArray(), "application/protobuf", "application/protobuf");
    assertThat(r.statusCode()).isEqualTo(412);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r)).isEqualTo(json("{\"seq_num_mismatch\": 42}"));
  }

  @Test
  void fencingTokenMismatchIs412WithTheCurrentToken() throws Exception {
    stubs.answer("append", new AppendOutcome.FencingTokenMismatch("owner-2"));
    HttpResponse<byte[]> r = appendJson("{\"records\":[{}],\"fencing_token\":\"owner-1\"}");
    assertThat(r.statusCode()).isEqualTo(412);
    assertThat(json(r)).isEqualTo(json("{\"fencing_token_mismatch\": \"owner-2\"}"));
  }

  @Test
  void appendToAMissingStreamIs404() throws Exception {
    stubs.fail("append", new S2Exception(ErrorCode.STREAM_NOT_FOUND, "stream not found"));
    HttpResponse<byte[]> r = appendJson("{\"records\":[{}]}");
    assertError(r, 404, "stream_not_found");
  }

  // ---------------------------------------------------------------------------- read

  private static final ReadBatch BATCH =
      new ReadBatch(
          List.of(
              new SequencedRecord(
                  10, 500, List.of(new Header(utf8("h"), BINARY)), utf8("text body")),
              new SequencedRecord(11, 501, List.of(), BINARY),
              new SequencedRecord(12, 502, List.of(), new byte[0])),
          null);

  @Test
  void jsonReadInRawFormatDecodesLossilyAndOmitsEmptyHeadersAndBodies() throws Exception {
    stubs.answer("read", new ReadOutcome.Batch(BATCH));
    HttpResponse<byte[]> r = getRecords("?seq_num=10");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("application/json");
    String lossy = new String(BINARY, StandardCharsets.UTF_8);
    assertThat(lossy).contains("\uFFFD");
    assertThat(json(r))
        .isEqualTo(
            MAPPER
                .createObjectNode()
                .set(
                    "records",
                    MAPPER
                        .createArrayNode()
                        .add(
                            MAPPER
                                .createObjectNode()
                                .put("seq_num", 10)
                                .put("timestamp", 500)
                                .<com.fasterxml.jackson.databind.node.ObjectNode>set(
                                    "headers",
                                    MAPPER
                                        .createArrayNode()
                                        .add(MAPPER.createArrayNode().add("h").add(lossy)))
                                .put("body", "text body"))
                        .add(
                            MAPPER
                                .createObjectNode()
                                .put("seq_num", 11)
                                .put("timestamp", 501)
                                .put("body", lossy))
                        .add(MAPPER.createObjectNode().put("seq_num", 12).put("timestamp", 502))));
  }

  @Test
  void jsonReadInBase64FormatRoundTripsBinaryDataAndShowsTheTailWhenPresent() throws Exception {
    stubs.answer(
        "read", new ReadOutcome.Batch(new ReadBatch(BATCH.records(), new StreamPosition(13, 502))));
    HttpResponse<byte[]> r = getRecords("", "s2-format", "base64");
    assertThat(r.statusCode()).isEqualTo(200);
    var body = json(r);
    assertThat(body.get("tail")).isEqualTo(json("{\"seq_num\": 13, \"timestamp\": 502}"));
    var first = body.get("records").get(0);
    assertThat(Base64.getDecoder().decode(first.get("headers").get(0).get(0).asText()))
        .isEqualTo(utf8("h"));
    assertThat(Base64.getDecoder().decode(first.get("headers").get(0).get(1).asText()))
        .isEqualTo(BINARY);
    assertThat(first.get("body").asText()).isEqualTo(b64(utf8("text body")));
    assertThat(Base64.getDecoder().decode(body.get("records").get(1).get("body").asText()))
        .isEqualTo(BINARY);
    assertThat(body.get("records").get(1).get("body").asText()).endsWith("=");
    assertThat(body.get("records").get(2).has("body")).isFalse();
  }

  @Test
  void jsonReadWithoutTailHasNoTailKey() throws Exception {
    stubs.answer("read", new ReadOutcome.Batch(new ReadBatch(List.of(), null)));
    HttpResponse<byte[]> r = getRecords("?wait=5");
    assertThat(json(r)).isEqualTo(json("{\"records\": []}"));
  }

  @Test
  void protobufReadRoundTripsBinaryRecords() throws Exception {
    stubs.answer(
        "read", new ReadOutcome.Batch(new ReadBatch(BATCH.records(), new StreamPosition(13, 502))));
    HttpResponse<byte[]> r = getRecords("?seq_num=10", "Accept", "application/protobuf");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("application/protobuf");
    s2.v1.ReadBatch batch = s2.v1.ReadBatch.parseFrom(r.body());
    assertThat(batch.getRecordsCount()).isEqualTo(3);
    assertThat(batch.getRecords(0).getSeqNum()).isEqualTo(10);
    assertThat(batch.getRecords(0).getHeaders(0).getValue().toByteArray()).isEqualTo(BINARY);
    assertThat(batch.getRecords(1).getBody().toByteArray()).isEqualTo(BINARY);
    assertThat(batch.getRecords(1).getTimestamp()).isEqualTo(501);
    assertThat(batch.getRecords(2).getBody().isEmpty()).isTrue();
    assertThat(batch.hasTail()).isTrue();
    assertThat(batch.getTail().getSeqNum()).isEqualTo(13);

    stubs.answer("read", new ReadOutcome.Batch(BATCH));
    HttpResponse<byte[]> noTail = getRecords("", "Accept", "application/x-protobuf");
    assertThat(contentType(noTail)).isEqualTo("application/x-protobuf");
    assertThat(s2.v1.ReadBatch.parseFrom(noTail.body()).hasTail()).isFalse();
  }

  @Test
  void readWithoutParametersStartsAtTheTailWithUnaryCaps() throws Exception {
    stubs.answer("read", new ReadOutcome.Batch(BATCH));
    getRecords("");
    StubServices.Invocation inv = stubs.only("read");
    assertThat(inv.arg(0)).isEqualTo(BASIN);
    assertThat(inv.arg(1)).isEqualTo("logs/app");
    assertThat(inv.arg(2))
        .isEqualTo(
            new ReadRequest(new ReadStart.TailOffset(0), false, 1000L, 1048576L, null, null));
  }

  @Test
  void readParametersAreParsedAndCapped() throws Exception {
    stubs.answer("read", new ReadOutcome.Batch(BATCH));
    getRecords("?seq_num=5&count=5000&bytes=2000000&wait=100&clamp=true&until=99");
    getRecords("?timestamp=7&count=3&bytes=100&wait=4&clamp=false&future=1");
    getRecords("?tail_offset=12&count=0&bytes=0&wait=0");
    assertThat(stubs.invocations())
        .extracting(i -> i.arg(2))
        .containsExactly(
            new ReadRequest(new ReadStart.SeqNum(5), true, 1000L, 1048576L, 99L, 60),
            new ReadRequest(new ReadStart.Timestamp(7), false, 3L, 100L, null, 4),
            new ReadRequest(new ReadStart.TailOffset(12), false, 0L, 0L, null, 0));
  }

  @Test
  void moreThanOneStartOrUntilNotAfterTheTimestampIsInvalid() throws Exception {
    assertEachRefused(
        List.of(
            "?seq_num=1&timestamp=2",
            "?seq_num=1&tail_offset=2",
            "?timestamp=1&tail_offset=2",
            "?timestamp=10&until=10",
            "?timestamp=10&until=3"),
        q -> getRecords(q),
        422,
        "invalid");
  }

  @Test
  void unparsableReadQueriesAreBadQuery() throws Exception {
    assertEachRefused(
        List.of(
            "?seq_num=abc",
            "?seq_num=-1",
            "?seq_num=",
            "?count=1.5",
            "?bytes=18446744073709551616",
            "?wait=4294967296",
            "?wait=-1",
            "?clamp=yes",
            "?seq_num=1&seq_num=2"),
        q -> getRecords(q),
        400,
        "bad_query");
  }

  @Test
  void readBeyondTheTailIs416WithTheTail() throws Exception {
    stubs.answer("read", new ReadOutcome.RangeNotSatisfiable(new StreamPosition(4, 99)));
    HttpResponse<byte[]> r = getRecords("?seq_num=10", "Accept", "application/protobuf");
    assertThat(r.statusCode()).isEqualTo(416);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r)).isEqualTo(json("{\"tail\": {\"seq_num\": 4, \"timestamp\": 99}}"));
  }

  @Test
  void checkTailAnswersTheTail() throws Exception {
    stubs.answer("checkTail", new StreamPosition(8, 123456));
    HttpResponse<byte[]> r = getRecords("/tail");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r)).isEqualTo(json("{\"tail\": {\"seq_num\": 8, \"timestamp\": 123456}}"));
    assertThat(stubs.only("checkTail").args()).containsExactly(BASIN, "logs/app");

    stubs.fail("checkTail", new S2Exception(ErrorCode.STREAM_NOT_FOUND, "no such stream"));
    HttpResponse<byte[]> nf = getRecords("/tail");
    assertError(nf, 404, "stream_not_found");
  }
}
