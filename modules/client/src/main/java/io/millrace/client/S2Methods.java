package io.millrace.client;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.MethodDescriptor.MethodType;
import io.grpc.protobuf.ProtoUtils;
import io.millrace.client.proto.AppendRequest;
import io.millrace.client.proto.AppendResponse;
import io.millrace.client.proto.AppendSessionRequest;
import io.millrace.client.proto.AppendSessionResponse;
import io.millrace.client.proto.CheckTailRequest;
import io.millrace.client.proto.CheckTailResponse;
import io.millrace.client.proto.CreateBasinRequest;
import io.millrace.client.proto.CreateBasinResponse;
import io.millrace.client.proto.CreateStreamRequest;
import io.millrace.client.proto.CreateStreamResponse;
import io.millrace.client.proto.DeleteBasinRequest;
import io.millrace.client.proto.DeleteBasinResponse;
import io.millrace.client.proto.DeleteStreamRequest;
import io.millrace.client.proto.DeleteStreamResponse;
import io.millrace.client.proto.GetBasinConfigRequest;
import io.millrace.client.proto.GetBasinConfigResponse;
import io.millrace.client.proto.GetStreamConfigRequest;
import io.millrace.client.proto.GetStreamConfigResponse;
import io.millrace.client.proto.IssueAccessTokenRequest;
import io.millrace.client.proto.IssueAccessTokenResponse;
import io.millrace.client.proto.ListAccessTokensRequest;
import io.millrace.client.proto.ListAccessTokensResponse;
import io.millrace.client.proto.ListBasinsRequest;
import io.millrace.client.proto.ListBasinsResponse;
import io.millrace.client.proto.ListStreamsRequest;
import io.millrace.client.proto.ListStreamsResponse;
import io.millrace.client.proto.ReadRequest;
import io.millrace.client.proto.ReadResponse;
import io.millrace.client.proto.ReadSessionRequest;
import io.millrace.client.proto.ReadSessionResponse;
import io.millrace.client.proto.ReconfigureBasinRequest;
import io.millrace.client.proto.ReconfigureBasinResponse;
import io.millrace.client.proto.ReconfigureStreamRequest;
import io.millrace.client.proto.ReconfigureStreamResponse;
import io.millrace.client.proto.RevokeAccessTokenRequest;
import io.millrace.client.proto.RevokeAccessTokenResponse;

/**
 * The grpc-java method descriptors of the S2 v1alpha services ({@code
 * protobuf/s2/v1alpha/s2.proto}, protobuf package {@code s2.v1alpha}), built once: full method
 * names {@code s2.v1alpha.<Service>/<Method>} and protobuf marshallers of the generated messages.
 * The SDK needs no generated stubs, only these.
 */
final class S2Methods {
  private static final String ACCOUNT = "s2.v1alpha.AccountService";
  private static final String BASIN = "s2.v1alpha.BasinService";
  private static final String STREAM = "s2.v1alpha.StreamService";

  static final MethodDescriptor<ListBasinsRequest, ListBasinsResponse> LIST_BASINS =
      unary(
          ACCOUNT,
          "ListBasins",
          ListBasinsRequest.getDefaultInstance(),
          ListBasinsResponse.getDefaultInstance());
  static final MethodDescriptor<CreateBasinRequest, CreateBasinResponse> CREATE_BASIN =
      unary(
          ACCOUNT,
          "CreateBasin",
          CreateBasinRequest.getDefaultInstance(),
          CreateBasinResponse.getDefaultInstance());
  static final MethodDescriptor<DeleteBasinRequest, DeleteBasinResponse> DELETE_BASIN =
      unary(
          ACCOUNT,
          "DeleteBasin",
          DeleteBasinRequest.getDefaultInstance(),
          DeleteBasinResponse.getDefaultInstance());
  static final MethodDescriptor<ReconfigureBasinRequest, ReconfigureBasinResponse>
      RECONFIGURE_BASIN =
          unary(
              ACCOUNT,
              "ReconfigureBasin",
              ReconfigureBasinRequest.getDefaultInstance(),
              ReconfigureBasinResponse.getDefaultInstance());
  static final MethodDescriptor<GetBasinConfigRequest, GetBasinConfigResponse> GET_BASIN_CONFIG =
      unary(
          ACCOUNT,
          "GetBasinConfig",
          GetBasinConfigRequest.getDefaultInstance(),
          GetBasinConfigResponse.getDefaultInstance());
  static final MethodDescriptor<IssueAccessTokenRequest, IssueAccessTokenResponse>
      ISSUE_ACCESS_TOKEN =
          unary(
              ACCOUNT,
              "IssueAccessToken",
              IssueAccessTokenRequest.getDefaultInstance(),
              IssueAccessTokenResponse.getDefaultInstance());
  static final MethodDescriptor<RevokeAccessTokenRequest, RevokeAccessTokenResponse>
      REVOKE_ACCESS_TOKEN =
          unary(
              ACCOUNT,
              "RevokeAccessToken",
              RevokeAccessTokenRequest.getDefaultInstance(),
              RevokeAccessTokenResponse.getDefaultInstance());
  static final MethodDescriptor<ListAccessTokensRequest, ListAccessTokensResponse>
      LIST_ACCESS_TOKENS =
          unary(
              ACCOUNT,
              "ListAccessTokens",
              ListAccessTokensRequest.getDefaultInstance(),
              ListAccessTokensResponse.getDefaultInstance());

  static final MethodDescriptor<ListStreamsRequest, ListStreamsResponse> LIST_STREAMS =
      unary(
          BASIN,
          "ListStreams",
          ListStreamsRequest.getDefaultInstance(),
          ListStreamsResponse.getDefaultInstance());
  static final MethodDescriptor<CreateStreamRequest, CreateStreamResponse> CREATE_STREAM =
      unary(
          BASIN,
          "CreateStream",
          CreateStreamRequest.getDefaultInstance(),
          CreateStreamResponse.getDefaultInstance());
  static final MethodDescriptor<DeleteStreamRequest, DeleteStreamResponse> DELETE_STREAM =
      unary(
          BASIN,
          "DeleteStream",
          DeleteStreamRequest.getDefaultInstance(),
          DeleteStreamResponse.getDefaultInstance());
  static final MethodDescriptor<GetStreamConfigRequest, GetStreamConfigResponse> GET_STREAM_CONFIG =
      unary(
          BASIN,
          "GetStreamConfig",
          GetStreamConfigRequest.getDefaultInstance(),
          GetStreamConfigResponse.getDefaultInstance());
  static final MethodDescriptor<ReconfigureStreamRequest, ReconfigureStreamResponse>
      RECONFIGURE_STREAM =
          unary(
              BASIN,
              "ReconfigureStream",
              ReconfigureStreamRequest.getDefaultInstance(),
              ReconfigureStreamResponse.getDefaultInstance());

  static final MethodDescriptor<CheckTailRequest, CheckTailResponse> CHECK_TAIL =
      unary(
          STREAM,
          "CheckTail",
          CheckTailRequest.getDefaultInstance(),
          CheckTailResponse.getDefaultInstance());
  static final MethodDescriptor<AppendRequest, AppendResponse> APPEND =
      unary(
          STREAM,
          "Append",
          AppendRequest.getDefaultInstance(),
          AppendResponse.getDefaultInstance());
  static final MethodDescriptor<ReadRequest, ReadResponse> READ =
      unary(STREAM, "Read", ReadRequest.getDefaultInstance(), ReadResponse.getDefaultInstance());
  static final MethodDescriptor<AppendSessionRequest, AppendSessionResponse> APPEND_SESSION =
      method(
          MethodType.BIDI_STREAMING,
          STREAM,
          "AppendSession",
          AppendSessionRequest.getDefaultInstance(),
          AppendSessionResponse.getDefaultInstance());
  static final MethodDescriptor<ReadSessionRequest, ReadSessionResponse> READ_SESSION =
      method(
          MethodType.SERVER_STREAMING,
          STREAM,
          "ReadSession",
          ReadSessionRequest.getDefaultInstance(),
          ReadSessionResponse.getDefaultInstance());

  private S2Methods() {}

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> unary(
      String service, String name, Q request, R response) {
    return method(MethodType.UNARY, service, name, request, response);
  }

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> method(
      MethodType type, String service, String name, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }
}
