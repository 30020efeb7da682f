package io.millrace.http;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The seam for streaming sessions on the records endpoints (spec sections 6.4 and 6.5): S2S append
 * and read sessions ({@code Content-Type: s2s/proto}) and SSE read sessions ({@code Accept:
 * text/event-stream}). Not built yet: every session is answered 501 {@code not_implemented}. For
 * S2S requests the body has not been read: a session implementation takes {@code
 * call.request().entity()} as its input stream.
 */
class StreamingSessions {

  CompletionStage<HttpResponse> s2sAppendSession(Call call, String basin, String stream) {
    return CompletableFuture.completedFuture(ErrorMapper.notImplemented("S2S append sessions"));
  }

  CompletionStage<HttpResponse> s2sReadSession(Call call, String basin, String stream) {
    return CompletableFuture.completedFuture(ErrorMapper.notImplemented("S2S read sessions"));
  }

  CompletionStage<HttpResponse> sseReadSession(Call call, String basin, String stream) {
    return CompletableFuture.completedFuture(ErrorMapper.notImplemented("SSE read sessions"));
  }
}
