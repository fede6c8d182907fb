package broker_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.opentelemetry.io/otel/trace"

	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/testutil/otlpsink"
	"github.com/secds/secds/internal/tracing"
)

// BenchmarkOpenWarmTraced is BenchmarkOpenWarm with tracing on as
// compose.Build sets it up, every open sampled (sample_ratio 1): each op is
// a request span (as the server's middleware starts it), the AWS call's
// client span under it (the AWS clients' middleware), and their export in
// batches over OTLP/HTTP to a receiver on loopback (which reads them but,
// unlike a collector, does not decode them: its CPU is this process's too).
// Its difference to BenchmarkOpenWarm is tracing's cost per open.
func BenchmarkOpenWarmTraced(b *testing.B) {
	recv, collector := otlpsink.Start(b)
	recv.Undecoded = true
	ratio := 1.0
	p, err := tracing.New(config.Tracing{OTLPEndpoint: collector.URL, SampleRatio: &ratio, ServiceName: "bench"}, nil,
		tracing.Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	tracer := p.TracerProvider().Tracer("bench")
	r := newRigWith(b, configs.DevTeams, func(c *aws.Config) {
		c.APIOptions = append(c.APIOptions, tracing.AWSAPIOption())
	}, benchLimits)
	open := func() {
		ctx, span := tracer.Start(context.Background(), "POST /api/v1/open", trace.WithSpanKind(trace.SpanKindServer), trace.WithNewRoot())
		defer span.End()
		if _, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta}); err != nil {
			b.Fatal(err)
		}
	}
	open()
	b.ReportAllocs()
	for b.Loop() {
		open()
	}
	b.StopTimer()
	if err := p.Close(); err != nil {
		b.Fatal(err)
	}
	if n, size := recv.Exports(); n == 0 || size < int64(b.N)*200 {
		b.Fatalf("%d exports, %d bytes, for %d opens", n, size, b.N)
	} else {
		b.ReportMetric(float64(size)/float64(b.N), "export-B/op")
	}
}
