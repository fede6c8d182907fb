package tracing

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/testutil/otlpsink"
)

// BenchmarkSpansOfAWarmOpen is tracing's own cost per warm open, without
// the open: the request's span with the attributes the server's middleware
// gives it, and one AWS call's span through the AWS middleware (its next
// handler answering at once, as the presign's would, with a request ID and
// a 200), exported in batches over OTLP/HTTP to a loopback receiver that
// reads but does not decode. "sampled" is sample_ratio 1; "unsampled" is a
// request the ratio left out; "off" is no tracing block (the no-op
// tracer; the server does not even install its middleware then, so this
// overstates it).
func BenchmarkSpansOfAWarmOpen(b *testing.B) {
	recv, collector := otlpsink.Start(b)
	recv.Undecoded = true
	next := middleware.InitializeHandlerFunc(func(ctx context.Context, in middleware.InitializeInput) (middleware.InitializeOutput, middleware.Metadata, error) {
		md := withRawResponse(&smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusOK}})
		awsmiddleware.SetRequestIDMetadata(&md, "f6b0c1f2-0000-4000-8000-000000000000")
		return middleware.InitializeOutput{}, md, nil
	})
	ctx := middleware.WithServiceID(context.Background(), "SageMaker")
	ctx = middleware.WithOperationName(ctx, "CreatePresignedNotebookInstanceUrl")

	run := func(b *testing.B, tp trace.TracerProvider) {
		tracer := tp.Tracer("bench")
		b.ReportAllocs()
		for b.Loop() {
			rctx, span := tracer.Start(ctx, "POST /api/v1/open", trace.WithSpanKind(trace.SpanKindServer), trace.WithNewRoot(),
				trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/api/v1/open")))
			if _, _, err := handleAWS(rctx, middleware.InitializeInput{}, next); err != nil {
				b.Fatal(err)
			}
			if span.IsRecording() {
				span.SetAttributes(attribute.Int("http.response.status_code", 200), attribute.String("secds.request_id", "0123456789abcdef01234567"))
			}
			span.End()
		}
	}
	for _, tt := range []struct {
		name  string
		ratio float64
	}{{"sampled", 1}, {"unsampled", 0}} {
		b.Run(tt.name, func(b *testing.B) {
			r := tt.ratio
			p, err := New(config.Tracing{OTLPEndpoint: collector.URL, SampleRatio: &r, ServiceName: "bench"}, nil, Options{Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			run(b, p.TracerProvider())
			b.StopTimer()
			if err := p.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.Run("off", func(b *testing.B) { run(b, noop.NewTracerProvider()) })
}

// withRawResponse is metadata holding resp, as the SDK's deserializer
// leaves it.
func withRawResponse(resp *smithyhttp.Response) middleware.Metadata {
	_, md, _ := awsmiddleware.AddRawResponse{}.HandleDeserialize(context.Background(), middleware.DeserializeInput{},
		middleware.DeserializeHandlerFunc(func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
			return middleware.DeserializeOutput{RawResponse: resp}, middleware.Metadata{}, nil
		}))
	return md
}
