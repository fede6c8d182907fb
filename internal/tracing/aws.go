package tracing

import (
	"context"
	"errors"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/secds/secds/internal/awsmetrics"
)

// The attributes of an AWS call's span: OpenTelemetry's names for the AWS
// SDK (rpc.*, aws.request_id, cloud.region) and HTTP, and the broker's own
// under secds.*.
const (
	AttrRPCSystem    = attribute.Key("rpc.system")
	AttrRPCService   = attribute.Key("rpc.service")
	AttrRPCMethod    = attribute.Key("rpc.method")
	AttrCloudRegion  = attribute.Key("cloud.region")
	AttrAWSRequestID = attribute.Key("aws.request_id")
	AttrHTTPStatus   = attribute.Key("http.response.status_code")
	AttrErrorType    = attribute.Key("error.type")
	// AttrAWSErrorKind is the failure's kind as secds_aws_errors_total
	// counts it: throttled, denied, timeout...
	AttrAWSErrorKind = attribute.Key("secds.aws.error_kind")
	// AttrAWSAttempts is how many times the SDK sent the request.
	AttrAWSAttempts = attribute.Key("secds.aws.attempts")
)

// AWSAPIOption is the option to append to the aws.Config's APIOptions (as
// awsmetrics' is): every call made with a sampled span in its context gets
// a client span under it, named "Service.Operation" (STS.AssumeRole), that
// lasts the whole call, retries included.
//
// A call whose context holds no recording span (the shared store's polls,
// a notebook list relisted in the background, the broker's start) makes no
// span: background work is not traced, so the collector sees requests
// only, and a poll every second does not become a trace every second.
//
// The span holds the service, operation, region, AWS request ID, HTTP
// status, attempts and, on failure, the AWS error code and its kind: no
// parameter of the call and nothing of its answer, which hold role session
// credentials and presigned URLs, and not the error message either, which
// can quote a resource or a policy.
func AWSAPIOption() func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("secds.AWSTrace", handleAWS), middleware.Before)
	}
}

func handleAWS(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return next.HandleInitialize(ctx, in)
	}
	svc, op := awsmiddleware.GetServiceID(ctx), awsmiddleware.GetOperationName(ctx)
	attrs := []attribute.KeyValue{AttrRPCSystem.String("aws-api"), AttrRPCService.String(svc), AttrRPCMethod.String(op)}
	if r := awsmiddleware.GetRegion(ctx); r != "" {
		attrs = append(attrs, AttrCloudRegion.String(r))
	}
	ctx, span := parent.TracerProvider().Tracer(Scope).Start(ctx, svc+"."+op,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()

	out, md, err := next.HandleInitialize(ctx, in)

	if id, ok := awsmiddleware.GetRequestIDMetadata(md); ok && id != "" {
		span.SetAttributes(AttrAWSRequestID.String(id))
	}
	if rs, ok := retry.GetAttemptResults(md); ok && len(rs.Results) > 0 {
		span.SetAttributes(AttrAWSAttempts.Int(len(rs.Results)))
	}
	status := 0
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil {
		status = raw.StatusCode
	}
	if err == nil {
		if status != 0 {
			span.SetAttributes(AttrHTTPStatus.Int(status))
		}
		return out, md, nil
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
		if id := re.ServiceRequestID(); id != "" {
			span.SetAttributes(AttrAWSRequestID.String(id))
		}
	}
	if status != 0 {
		span.SetAttributes(AttrHTTPStatus.Int(status))
	}
	kind := awsmetrics.Kind(err)
	errType := kind
	var ae smithy.APIError
	if errors.As(err, &ae) && validCode(ae.ErrorCode()) {
		errType = ae.ErrorCode()
	}
	span.SetAttributes(AttrErrorType.String(errType), AttrAWSErrorKind.String(kind))
	span.SetStatus(codes.Error, errType)
	return out, md, err
}

// validCode keeps an error code that is a code: a word of letters, digits
// and dots, as AWS's are, not a message an odd endpoint put in its place.
func validCode(c string) bool {
	if c == "" || len(c) > 100 {
		return false
	}
	for _, r := range c {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '.' || r == '_' || r == ':' || r == '-') {
			return false
		}
	}
	return true
}
