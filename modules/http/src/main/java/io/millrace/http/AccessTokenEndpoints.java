package io.millrace.http;

import io.millrace.core.ErrorCode;
import io.millrace.core.Limits;
import io.millrace.core.S2Exception;
import io.millrace.core.api.AccessTokenService;
import io.millrace.core.api.ListRequest;
import io.millrace.core.auth.AccessTokenIds;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Access tokens (spec section 4.3): list, issue, revoke. */
final class AccessTokenEndpoints {
  private final AccessTokenService tokens;

  /**
   * @param tokens the token service; null when auth is off (the endpoints answer 501)
   */
  AccessTokenEndpoints(AccessTokenService tokens) {
    this.tokens = tokens;
  }

  CompletionStage<HttpResponse> list(Call call) {
    AccessTokenService service = service();
    QueryParams q = call.query();
    String prefix = q.string("prefix");
    String startAfter = q.string("start_after");
    Long limit = q.u64("limit");
    for (String[] f : new String[][] {{"prefix", prefix}, {"start_after", startAfter}}) {
      if (f[1] != null
          && (f[1].getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                  > AccessTokenIds.MAX_BYTES
              || f[1].indexOf('\0') >= 0)) {
        throw QueryParams.badQuery(
            f[0] + " must be at most " + AccessTokenIds.MAX_BYTES + " bytes, without NUL");
      }
    }
    int effective =
        limit == null || limit == 0 || limit > Limits.MAX_LIST_LIMIT
            ? Limits.MAX_LIST_LIMIT
            : limit.intValue();
    return service
        .list(call.principal(), new ListRequest(prefix, startAfter, effective))
        .thenApply(page -> Responses.json(200, AccessTokenJson.list(page)));
  }

  CompletionStage<HttpResponse> issue(Call call) {
    AccessTokenService service = service();
    var request = AccessTokenJson.issueRequest(call.jsonBody(false));
    return service
        .issue(call.principal(), request)
        .thenApply(token -> Responses.json(201, AccessTokenJson.issued(token)));
  }

  CompletionStage<HttpResponse> revoke(Call call, String id) {
    AccessTokenService service = service();
    String problem = AccessTokenIds.problem(id);
    if (problem != null) {
      throw new S2Exception(ErrorCode.BAD_PATH, problem);
    }
    return service.revoke(call.principal(), id).thenApply(v -> Responses.empty(204));
  }

  private AccessTokenService service() {
    if (tokens == null) {
      throw new S2Exception(
          ErrorCode.NOT_IMPLEMENTED, "access tokens need authentication, which is off");
    }
    return tokens;
  }
}
