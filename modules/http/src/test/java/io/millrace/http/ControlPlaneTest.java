package io.millrace.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.ErrorCode;
import io.millrace.core.S2Exception;
import io.millrace.core.api.BasinInfo;
import io.millrace.core.api.ListPage;
import io.millrace.core.api.ListRequest;
import io.millrace.core.api.ProvisionResult;
import io.millrace.core.api.Provisioned;
import io.millrace.core.api.StreamInfo;
import io.millrace.core.config.BasinConfig;
import io.millrace.core.config.BasinReconfiguration;
import io.millrace.core.config.DeleteOnEmpty;
import io.millrace.core.config.Patch;
import io.millrace.core.config.RetentionPolicy;
import io.millrace.core.config.StorageClass;
import io.millrace.core.config.StreamConfig;
import io.millrace.core.config.StreamReconfiguration;
import io.millrace.core.config.StreamReconfiguration.DeleteOnEmptyReconfiguration;
import io.millrace.core.config.StreamReconfiguration.TimestampingReconfiguration;
import io.millrace.core.config.Timestamping;
import io.millrace.core.config.TimestampingMode;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ControlPlaneTest extends EdgeTestBase {
  private static final Instant T0 = Instant.parse("2026-11-26T06:00:00Z");
  private static final Instant T1 = Instant.parse("2026-11-26T07:30:15.250Z");
  private static final String BASIN = "my-basin-1";
  private static final BasinInfo BASIN_INFO = new BasinInfo(BASIN, null, T0, null);
  private static final StreamInfo STREAM_INFO = new StreamInfo("logs/app", T0, null, null);

  // ---------------------------------------------------------------------------- basins

  /** Creates a basin with a JSON {@code body}. */
  private static HttpResponse<byte[]> createBasin(String body, String... headers) throws Exception {
    return sendJson("POST", "/v1/basins", body, headers);
  }

  /**
   * Creates basin my-basin-1 from raw bytes, sent with {@code headers} (a Content-Type or none).
   */
  private static HttpResponse<byte[]> createBasinRaw(String... headers) throws Exception {
    return send("POST", "/v1/basins", "{\"basin\":\"my-basin-1\"}".getBytes(), headers);
  }

  @Test
  void listBasinsReturnsBasinInfosAndPassesTheFilters() throws Exception {
    stubs.answer(
        "listBasins",
        new ListPage<>(
            List.of(BASIN_INFO, new BasinInfo("my-basin-2", "aws:us-east-1", T0, T1)), true));
    HttpResponse<byte[]> r = get("/v1/basins?prefix=my&start_after=my-basin-0&limit=2");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(contentType(r)).isEqualTo("application/json");
    assertThat(json(r))
        .isEqualTo(
            json(
                """
                {"basins": [
                  {"name": "my-basin-1", "location": null, "created_at": "2026-11-26T06:00:00Z",
                   "deleted_at": null, "state": "active"},
                  {"name": "my-basin-2", "location": "aws:us-east-1",
                   "created_at": "2026-11-26T06:00:00Z", "deleted_at": "2026-11-26T07:30:15.250Z",
                   "state": "deleting"}],
                 "has_more": true}
                """));
    assertThat(stubs.only("listBasins").arg(0)).isEqualTo(new ListRequest("my", "my-basin-0", 2));
  }

  @Test
  void listLimitOfZeroOrAbove1000BecomesTheMaximumAndDefaultsAreEmpty() throws Exception {
    stubs.answer("listBasins", new ListPage<>(List.of(), false));
    assertThat(get("/v1/basins?limit=0").statusCode()).isEqualTo(200);
    assertThat(get("/v1/basins?limit=5000").statusCode()).isEqualTo(200);
    assertThat(get("/v1/basins").statusCode()).isEqualTo(200);
    assertThat(stubs.invocations())
        .extracting(i -> i.arg(0))
        .containsExactly(
            new ListRequest("", "", 1000),
            new ListRequest("", "", 1000),
            new ListRequest("", "", 1000));
  }

  @Test
  void invalidListQueriesAreBadQuery() throws Exception {
    assertEachRefused(
        List.of(
            "?prefix=UPPER", "?start_after=-x", "?limit=abc", "?limit=-1", "?prefix=a&prefix=b"),
        q -> get("/v1/basins" + q),
        400,
        "bad_query");
  }

  @Test
  void createBasinPassesNameConfigAndTokenAndAnswers201Created() throws Exception {
    stubs.answer("createBasin", new Provisioned<>(BASIN_INFO, ProvisionResult.CREATED));
    HttpResponse<byte[]> r =
        createBasin(
            """
            {"basin": "my-basin-1", "scope": "aws:us-east-1", "location": null, "future": [1],
             "config": {"default_stream_config": {"storage_class": "standard",
                                                  "retention_policy": {"infinite": {}}},
                        "stream_cipher": "aes-256-gcm",
                        "create_stream_on_append": true}}
            """,
            "s2-request-token",
            "token-123");
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("s2-provision-result")).contains("created");
    assertThat(json(r).get("name").asText()).isEqualTo(BASIN);
    assertThat(json(r).get("state").asText()).isEqualTo("active");
    StubServices.Invocation inv = stubs.only("createBasin");
    assertThat(inv.arg(0)).isEqualTo(BASIN);
    assertThat(inv.arg(1))
        .isEqualTo(
            new BasinConfig(
                new StreamConfig(StorageClass.STANDARD, RetentionPolicy.INFINITE, null, null),
                "aes-256-gcm",
                true,
                false));
    assertThat(inv.arg(2)).isEqualTo("token-123");
  }

  @Test
  void createBasinReplayAnswers201Noop() throws Exception {
    stubs.answer("createBasin", new Provisioned<>(BASIN_INFO, ProvisionResult.NOOP));
    HttpResponse<byte[]> r = createBasin("{\"basin\":\"my-basin-1\"}");
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("s2-provision-result")).contains("noop");
    assertThat(stubs.only("createBasin").arg(1)).isEqualTo(BasinConfig.DEFAULT);
    assertThat(stubs.only("createBasin").arg(2)).isNull();
  }

  @Test
  void createBasinWithTooLongRequestTokenIsBadHeader() throws Exception {
    HttpResponse<byte[]> r =
        createBasin("{\"basin\":\"my-basin-1\"}", "s2-request-token", "x".repeat(37));
    assertError(r, 400, "bad_header");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void malformedOrMistypedCreateBodiesAreBadJson() throws Exception {
    List<String> bodies =
        List.of(
            "",
            "{",
            "[]",
            "null",
            "{\"basin\": 5}",
            "{\"basin\": \"Bad_Name\"}",
            "{\"basin\": \"short\"}",
            "{\"basin\": \"my-basin-1\"} trailing",
            "{\"basin\": \"my-basin-1\", \"config\": 3}",
            "{\"basin\": \"my-basin-1\", \"config\": {\"stream_cipher\": \"rot13\"}}",
            "{\"basin\": \"my-basin-1\", \"config\": {\"create_stream_on_read\": \"yes\"}}",
            "{\"basin\": \"my-basin-1\", \"config\": {\"default_stream_config\":"
                + " {\"storage_class\": \"gold\"}}}",
            "{\"basin\": \"my-basin-1\", \"config\": {\"default_stream_config\":"
                + " {\"retention_policy\": {\"age\": -1}}}}",
            "{\"basin\": \"my-basin-1\", \"config\": {\"default_stream_config\":"
                + " {\"retention_policy\": {\"age\": 18446744073709551616}}}}",
            "{\"basin\": \"my-basin-1\", \"config\": {\"default_stream_config\":"
                + " {\"retention_policy\": {\"age\": 1.5}}}}",
            "{\"basin\": \"my-basin-1\", \"config\": {\"default_stream_config\":"
                + " {\"retention_policy\": {\"age\": 1, \"infinite\": {}}}}}");
    for (String body : bodies) {
      HttpResponse<byte[]> r = createBasin(body);
      assertThat(r.statusCode()).as(body).isEqualTo(400);
      assertThat(contentType(r)).isEqualTo("application/json");
      assertThat(json(r).get("code").asText()).as(body).isEqualTo("bad_json");
    }
    HttpResponse<byte[]> noType = createBasinRaw();
    assertError(noType, 400, "bad_json");
    HttpResponse<byte[]> textType = createBasinRaw("Content-Type", "text/plain");
    assertThat(textType.statusCode()).isEqualTo(400);
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void vendorJsonContentTypesAreJson() throws Exception {
    stubs.answer("createBasin", new Provisioned<>(BASIN_INFO, ProvisionResult.CREATED));
    HttpResponse<byte[]> r =
        createBasinRaw("Content-Type", "application/vnd.s2+json; charset=utf-8");
    assertThat(r.statusCode()).isEqualTo(201);
  }

  @Test
  void retentionAgeZeroIsInvalid() throws Exception {
    HttpResponse<byte[]> r =
        createBasin(
            "{\"basin\":\"my-basin-1\",\"config\":{\"default_stream_config\":"
                + "{\"retention_policy\":{\"age\":0}}}}");
    assertError(r, 422, "invalid");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void serviceErrorsKeepTheirCodeAndStatus() throws Exception {
    stubs.fail("createBasin", new S2Exception(ErrorCode.RESOURCE_ALREADY_EXISTS, "basin exists"));
    HttpResponse<byte[]> r = createBasin("{\"basin\":\"my-basin-1\"}");
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(json(r))
        .isEqualTo(json("{\"code\":\"resource_already_exists\",\"message\":\"basin exists\"}"));

    stubs.fail("getBasinConfig", new S2Exception(ErrorCode.BASIN_NOT_FOUND, "no such basin"));
    HttpResponse<byte[]> nf = get("/v1/basins/my-basin-9");
    assertError(nf, 404, "basin_not_found");
  }

  @Test
  void getBasinConfigRendersUnsetFieldsAsNull() throws Exception {
    stubs.answer(
        "getBasinConfig",
        new BasinConfig(
            new StreamConfig(
                null,
                RetentionPolicy.age(3600),
                new Timestamping(TimestampingMode.ARRIVAL, null),
                null),
            null,
            false,
            true));
    HttpResponse<byte[]> r = get("/v1/basins/my-basin-1");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r))
        .isEqualTo(
            json(
                """
                {"default_stream_config": {"storage_class": null,
                                           "retention_policy": {"age": 3600},
                                           "timestamping": {"mode": "arrival", "uncapped": null},
                                           "delete_on_empty": null},
                 "stream_cipher": null,
                 "create_stream_on_append": false,
                 "create_stream_on_read": true}
                """));
    assertThat(stubs.only("getBasinConfig").arg(0)).isEqualTo(BASIN);

    stubs.answer("getBasinConfig", BasinConfig.DEFAULT);
    assertThat(json(get("/v1/basins/my-basin-1")).get("default_stream_config").isNull()).isTrue();
  }

  @Test
  void invalidBasinNameInPathIsBadPath() throws Exception {
    assertEachRefused(
        List.of("UPPERCASE", "short", "-leading-dash", "under_score"),
        name -> get("/v1/basins/" + name),
        400,
        "bad_path");
  }

  @Test
  void ensureBasinWithEmptyBodyAndNoContentTypeCreatesWithDefaults() throws Exception {
    stubs.answer("ensureBasin", new Provisioned<>(BASIN_INFO, ProvisionResult.CREATED));
    HttpResponse<byte[]> r = send("PUT", "/v1/basins/my-basin-1", null);
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("s2-provision-result")).contains("created");
    assertThat(json(r).get("name").asText()).isEqualTo(BASIN);
    assertThat(stubs.only("ensureBasin").args()).containsExactly(BASIN, BasinConfig.DEFAULT, null);
  }

  @Test
  void ensureBasinWithConfigAnswers200WithTheProvisionResult() throws Exception {
    stubs.answer("ensureBasin", new Provisioned<>(BASIN_INFO, ProvisionResult.UPDATED));
    HttpResponse<byte[]> r =
        sendJson(
            "PUT",
            "/v1/basins/my-basin-1",
            "{\"config\":{\"create_stream_on_read\":true},\"location\":\"aws:us-east-1\"}");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("s2-provision-result")).contains("updated");
    assertThat(stubs.only("ensureBasin").arg(1))
        .isEqualTo(new BasinConfig(null, null, false, true));
    assertThat(stubs.only("ensureBasin").arg(2)).isEqualTo("aws:us-east-1");

    stubs.reset();
    stubs.answer("ensureBasin", new Provisioned<>(BASIN_INFO, ProvisionResult.NOOP));
    HttpResponse<byte[]> noop = sendJson("PUT", "/v1/basins/my-basin-1", "{\"config\":null}");
    assertThat(noop.statusCode()).isEqualTo(200);
    assertThat(noop.headers().firstValue("s2-provision-result")).contains("noop");
  }

  @Test
  void reconfigureBasinMapsAbsentNullAndValuesToKeepResetAndSet() throws Exception {
    stubs.answer("reconfigureBasin", BasinConfig.DEFAULT);
    HttpResponse<byte[]> r =
        sendJson(
            "PATCH",
            "/v1/basins/my-basin-1",
            """
            {"default_stream_config": {"retention_policy": null,
                                       "timestamping": {"mode": "arrival"},
                                       "delete_on_empty": {"min_age_secs": 60}},
             "stream_cipher": null,
             "create_stream_on_read": true}
            """);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("create_stream_on_read").asBoolean()).isFalse();
    BasinReconfiguration patch = (BasinReconfiguration) stubs.only("reconfigureBasin").arg(1);
    assertThat(patch.streamCipher()).isEqualTo(Patch.reset());
    assertThat(patch.createStreamOnAppend()).isEqualTo(Patch.keep());
    assertThat(patch.createStreamOnRead()).isEqualTo(Patch.set(true));
    assertThat(patch.defaultStreamConfig())
        .isEqualTo(
            Patch.set(
                new StreamReconfiguration(
                    Patch.keep(),
                    Patch.reset(),
                    Patch.set(
                        new TimestampingReconfiguration(
                            Patch.set(TimestampingMode.ARRIVAL), Patch.keep())),
                    Patch.set(new DeleteOnEmptyReconfiguration(Patch.set(60L))))));
  }

  @Test
  void reconfigureBasinResettingTheDefaultStreamConfig() throws Exception {
    stubs.answer("reconfigureBasin", BasinConfig.DEFAULT);
    sendJson("PATCH", "/v1/basins/my-basin-1", "{\"default_stream_config\": null}");
    BasinReconfiguration patch = (BasinReconfiguration) stubs.only("reconfigureBasin").arg(1);
    assertThat(patch.defaultStreamConfig()).isEqualTo(Patch.reset());
    assertThat(patch.streamCipher()).isEqualTo(Patch.keep());
  }

  @Test
  void reconfigureWithRetentionAgeZeroIsInvalid() throws Exception {
    HttpResponse<byte[]> r =
        sendJson(
            "PATCH",
            "/v1/basins/my-basin-1",
            "{\"default_stream_config\": {\"retention_policy\": {\"age\": 0}}}");
    assertThat(r.statusCode()).isEqualTo(422);
    HttpResponse<byte[]> s =
        sendJson(
            "PATCH", "/v1/streams/s", "{\"retention_policy\": {\"age\": 0}}", "s2-basin", BASIN);
    assertThat(s.statusCode()).isEqualTo(422);
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void outOfRangeRetentionAndDeleteOnEmptyAreRefusedOnCreateAndReconfigure() throws Exception {
    String u64Overflow = "18446744073709551616";
    assertEachRefused(
        List.of(
            "{\"stream\": \"s\", \"config\": {\"retention_policy\": {\"age\": -1}}}",
            "{\"stream\": \"s\", \"config\": {\"delete_on_empty\": {\"min_age_secs\": -1}}}",
            "{\"stream\": \"s\", \"config\": {\"delete_on_empty\": {\"min_age_secs\": "
                + u64Overflow
                + "}}}"),
        body -> sendJson("POST", "/v1/streams", body, "s2-basin", BASIN),
        400,
        "bad_json");
    assertEachRefused(
        List.of(
            "{\"retention_policy\": {\"age\": -1}}",
            "{\"retention_policy\": {\"age\": " + u64Overflow + "}}",
            "{\"delete_on_empty\": {\"min_age_secs\": -1}}",
            "{\"delete_on_empty\": {\"min_age_secs\": " + u64Overflow + "}}"),
        body -> sendJson("PATCH", "/v1/streams/s", body, "s2-basin", BASIN),
        400,
        "bad_json");
  }

  @Test
  void deleteBasinAnswers202WithNoBody() throws Exception {
    stubs.answer("deleteBasin", null);
    HttpResponse<byte[]> r = send("DELETE", "/v1/basins/my-basin-1", null);
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.body()).isEmpty();
    assertThat(stubs.only("deleteBasin").arg(0)).isEqualTo(BASIN);
  }

  // ---------------------------------------------------------------------------- streams

  @Test
  void streamRoutesNeedAValidBasinHeader() throws Exception {
    HttpResponse<byte[]> missing = get("/v1/streams");
    assertError(missing, 400, "bad_header");
    HttpResponse<byte[]> invalid = get("/v1/streams/s", "s2-basin", "NOT a basin");
    assertError(invalid, 400, "bad_header");
    HttpResponse<byte[]> append = sendJson("POST", "/v1/streams/s/records", "{\"records\":[{}]}");
    assertError(append, 400, "bad_header");
    assertThat(get("/v1/streams/s/records/tail").statusCode()).isEqualTo(400);
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void listStreamsReturnsStreamInfos() throws Exception {
    stubs.answer(
        "listStreams",
        new ListPage<>(
            List.of(STREAM_INFO, new StreamInfo("logs/db", T0, T1, "aes-256-gcm")), false));
    HttpResponse<byte[]> r = get("/v1/streams?prefix=logs%2F&limit=10", "s2-basin", BASIN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r))
        .isEqualTo(
            json(
                """
                {"streams": [
                  {"name": "logs/app", "created_at": "2026-11-26T06:00:00Z", "deleted_at": null,
                   "cipher": null},
                  {"name": "logs/db", "created_at": "2026-11-26T06:00:00Z",
                   "deleted_at": "2026-11-26T07:30:15.250Z", "cipher": "aes-256-gcm"}],
                 "has_more": false}
                """));
    StubServices.Invocation inv = stubs.only("listStreams");
    assertThat(inv.arg(0)).isEqualTo(BASIN);
    assertThat(inv.arg(1)).isEqualTo(new ListRequest("logs/", "", 10));
  }

  @Test
  void createStreamAnswers201WithStreamInfo() throws Exception {
    stubs.answer("createStream", new Provisioned<>(STREAM_INFO, ProvisionResult.CREATED));
    HttpResponse<byte[]> r =
        sendJson(
            "POST",
            "/v1/streams",
            """
            {"stream": "logs/app",
             "config": {"storage_class": "express",
                        "retention_policy": {"age": 86400},
                        "timestamping": {"mode": "client-require", "uncapped": true},
                        "delete_on_empty": {"min_age_secs": 0}}}
            """,
            "s2-basin",
            BASIN,
            "s2-request-token",
            "tok");
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("s2-provision-result")).contains("created");
    assertThat(json(r))
        .isEqualTo(
            json(
                "{\"name\":\"logs/app\",\"created_at\":\"2026-11-26T06:00:00Z\","
                    + "\"deleted_at\":null,\"cipher\":null}"));
    StubServices.Invocation inv = stubs.only("createStream");
    assertThat(inv.args())
        .containsExactly(
            BASIN,
            "logs/app",
            new StreamConfig(
                StorageClass.EXPRESS,
                RetentionPolicy.age(86400),
                new Timestamping(TimestampingMode.CLIENT_REQUIRE, true),
                new DeleteOnEmpty(0L)),
            "tok");
  }

  @Test
  void createStreamWithoutConfigPassesAnEmptyConfig() throws Exception {
    stubs.answer("createStream", new Provisioned<>(STREAM_INFO, ProvisionResult.NOOP));
    HttpResponse<byte[]> r =
        sendJson("POST", "/v1/streams", "{\"stream\":\"logs/app\"}", "s2-basin", BASIN);
    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("s2-provision-result")).contains("noop");
    assertThat(stubs.only("createStream").arg(2)).isEqualTo(StreamConfig.EMPTY);
  }

  @Test
  void createStreamWithInvalidNameOrUnknownModeIsBadJson() throws Exception {
    assertEachRefused(
        List.of(
            "{\"stream\": \"..\"}",
            "{\"stream\": \"\"}",
            "{\"stream\": \"" + "x".repeat(513) + "\"}",
            "{\"stream\": \"s\", \"config\": {\"timestamping\": {\"mode\": \"later\"}}}",
            "{\"stream\": \"s\", \"config\": {\"timestamping\": {\"uncapped\": 1}}}",
            "{\"stream\": \"s\", \"config\": {\"delete_on_empty\": {\"min_age_secs\": \"1\"}}}"),
        body -> sendJson("POST", "/v1/streams", body, "s2-basin", BASIN),
        400,
        "bad_json");
  }

  @Test
  void getStreamConfigRendersTheResolvedConfig() throws Exception {
    stubs.answer("getStreamConfig", StreamConfig.SYSTEM_DEFAULT);
    HttpResponse<byte[]> r = get("/v1/streams/logs%2Fapp", "s2-basin", BASIN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r))
        .isEqualTo(
            json(
                """
                {"storage_class": "express", "retention_policy": {"age": 604800},
                 "timestamping": {"mode": "client-prefer", "uncapped": false},
                 "delete_on_empty": {"min_age_secs": 0}}
                """));
    assertThat(stubs.only("getStreamConfig").args()).containsExactly(BASIN, "logs/app");
  }

  @Test
  void streamNamesWithEncodedSlashesAndSpacesStayOneSegment() throws Exception {
    stubs.answer("getStreamConfig", StreamConfig.SYSTEM_DEFAULT);
    stubs.answer("deleteStream", null);
    assertThat(get("/v1/streams/a%2Fb%2Fc%20d", "s2-basin", BASIN).statusCode()).isEqualTo(200);
    assertThat(send("DELETE", "/v1/streams/%2F", null, "s2-basin", BASIN).statusCode())
        .isEqualTo(202);
    assertThat(get("/v1/streams/caf%C3%A9+%2B", "s2-basin", BASIN).statusCode()).isEqualTo(200);
    assertThat(stubs.invocations())
        .extracting(i -> i.arg(1))
        .containsExactly("a/b/c d", "/", "café++");
  }

  @Test
  void dotSegmentsNeverNameAStreamAndOverlongNamesAreBadPath() throws Exception {
    // Pekko collapses "." and ".." path segments (also when percent-encoded) before routing, so
    // such a request never reaches a stream endpoint with "." or ".." as the name.
    for (String name : List.of("%2E%2E", ".", "%2E")) {
      HttpResponse<byte[]> r = get("/v1/streams/" + name, "s2-basin", BASIN);
      assertThat(r.statusCode()).as(name).isIn(400, 404);
      assertThat(json(r).get("code").asText()).as(name).isIn("bad_path", "not_found");
    }
    HttpResponse<byte[]> overlong = get("/v1/streams/" + "x".repeat(513), "s2-basin", BASIN);
    assertError(overlong, 400, "bad_path");
    assertThat(stubs.invocations()).isEmpty();
  }

  @Test
  void ensureStreamWithEmptyBodyCreatesAndWithConfigUpdates() throws Exception {
    stubs.answer("ensureStream", new Provisioned<>(STREAM_INFO, ProvisionResult.CREATED));
    HttpResponse<byte[]> created = send("PUT", "/v1/streams/logs%2Fapp", null, "s2-basin", BASIN);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("s2-provision-result")).contains("created");
    assertThat(stubs.only("ensureStream").args())
        .containsExactly(BASIN, "logs/app", StreamConfig.EMPTY);

    stubs.reset();
    stubs.answer("ensureStream", new Provisioned<>(STREAM_INFO, ProvisionResult.UPDATED));
    HttpResponse<byte[]> updated =
        sendJson(
            "PUT",
            "/v1/streams/logs%2Fapp",
            "{\"storage_class\":\"standard\",\"retention_policy\":null}",
            "s2-basin",
            BASIN);
    assertThat(updated.statusCode()).isEqualTo(200);
    assertThat(updated.headers().firstValue("s2-provision-result")).contains("updated");
    assertThat(stubs.only("ensureStream").arg(2))
        .isEqualTo(new StreamConfig(StorageClass.STANDARD, null, null, null));
  }

  @Test
  void reconfigureStreamMapsNullToResetAndAbsentToKeep() throws Exception {
    stubs.answer("reconfigureStream", StreamConfig.SYSTEM_DEFAULT);
    HttpResponse<byte[]> r =
        sendJson(
            "PATCH",
            "/v1/streams/logs%2Fapp",
            "{\"storage_class\": null, \"timestamping\": {\"uncapped\": true, \"mode\": null},"
                + " \"retention_policy\": {\"infinite\": {}}}",
            "s2-basin",
            BASIN);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("storage_class").asText()).isEqualTo("express");
    StubServices.Invocation inv = stubs.only("reconfigureStream");
    assertThat(inv.arg(1)).isEqualTo("logs/app");
    assertThat(inv.arg(2))
        .isEqualTo(
            new StreamReconfiguration(
                Patch.reset(),
                Patch.set(RetentionPolicy.INFINITE),
                Patch.set(new TimestampingReconfiguration(Patch.reset(), Patch.set(true))),
                Patch.keep()));
  }

  @Test
  void reconfigureStreamWithEmptyObjectKeepsEverything() throws Exception {
    stubs.answer("reconfigureStream", StreamConfig.SYSTEM_DEFAULT);
    sendJson("PATCH", "/v1/streams/s", "{}", "s2-basin", BASIN);
    assertThat(stubs.only("reconfigureStream").arg(2)).isEqualTo(StreamReconfiguration.NONE);
  }

  @Test
  void deleteStreamAnswers202AndPendingDeletionIs409() throws Exception {
    stubs.answer("deleteStream", null);
    HttpResponse<byte[]> r = send("DELETE", "/v1/streams/logs%2Fapp", null, "s2-basin", BASIN);
    assertThat(r.statusCode()).isEqualTo(202);
    assertThat(r.body()).isEmpty();
    assertThat(stubs.only("deleteStream").args()).containsExactly(BASIN, "logs/app");

    stubs.fail(
        "getStreamConfig",
        new S2Exception(ErrorCode.STREAM_DELETION_PENDING, "stream is being deleted"));
    HttpResponse<byte[]> pending = get("/v1/streams/logs%2Fapp", "s2-basin", BASIN);
    assertError(pending, 409, "stream_deletion_pending");
  }

  @Test
  void longestStreamNamesAndFiltersFitInTheRequestTarget() throws Exception {
    String name = "é".repeat(256); // 512 bytes, 1536 characters percent-encoded
    String encoded = java.net.URLEncoder.encode(name, java.nio.charset.StandardCharsets.UTF_8);
    stubs.answer("getStreamConfig", StreamConfig.SYSTEM_DEFAULT);
    stubs.answer("listStreams", new ListPage<>(List.of(), false));
    assertThat(get("/v1/streams/" + encoded, "s2-basin", BASIN).statusCode()).isEqualTo(200);
    assertThat(
            get("/v1/streams?prefix=" + encoded + "&start_after=" + encoded, "s2-basin", BASIN)
                .statusCode())
        .isEqualTo(200);
    assertThat(stubs.only("getStreamConfig").arg(1)).isEqualTo(name);
    assertThat(stubs.only("listStreams").arg(1)).isEqualTo(new ListRequest(name, name, 1000));
  }
}
