package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/secds/secds/internal/config"
)

// Scope is the instrumentation scope of the broker's spans.
const Scope = "github.com/secds/secds"

// Options are what differs in a test.
type Options struct {
	Log *slog.Logger // default slog.Default()
	// FlushTimeout bounds Close's export of buffered spans; default
	// config.TracingFlushTimeout.
	FlushTimeout time.Duration
	// BatchTimeout is how long a span may wait in the batch before it is
	// exported; default the SDK's (5s, or OTEL_BSP_SCHEDULE_DELAY).
	BatchTimeout time.Duration
}

// Provider is a running tracer provider and its exporter.
type Provider struct {
	tp    *sdktrace.TracerProvider
	flush time.Duration
}

// New starts tracing as cfg says, with headers (config's TracingHeaders)
// on every export. It returns nil, and starts nothing, when tracing is off.
//
// The exporter's endpoint, headers and security come from cfg alone:
// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_HEADERS are not used
// (an environment variable cannot turn tracing on, nor add a header). The
// SDK's other variables (a CA file, timeouts, the batch's sizes) still
// apply. Nothing is sent at start: an unreachable collector does not keep
// the broker from serving; its failures are logged.
func New(cfg config.Tracing, headers map[string]string, opts Options) (*Provider, error) {
	if !cfg.On() {
		return nil, nil
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.FlushTimeout <= 0 {
		opts.FlushTimeout = config.TracingFlushTimeout
	}
	if headers == nil {
		headers = map[string]string{}
	}
	setDiagnostics(opts.Log)
	// otlptracehttp.New only records its options: no connection yet.
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(cfg.TracesURL()),
		// Always given, even empty: the exporter would otherwise take
		// OTEL_EXPORTER_OTLP_HEADERS.
		otlptracehttp.WithHeaders(headers),
	)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	var bopts []sdktrace.BatchSpanProcessorOption
	if opts.BatchTimeout > 0 {
		bopts = append(bopts, sdktrace.WithBatchTimeout(opts.BatchTimeout))
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp, bopts...),
		sdktrace.WithResource(newResource(cfg.ServiceName)),
		// Root spans (every request's, unless trust_traceparent) are
		// sampled by the ratio; a span under them follows its parent, so a
		// trace is whole or absent.
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.Ratio()))),
	)
	return &Provider{tp: tp, flush: opts.FlushTimeout}, nil
}

// TracerProvider is the provider the server starts its spans with.
func (p *Provider) TracerProvider() trace.TracerProvider { return p.tp }

// Close exports the spans still buffered and stops the exporter, waiting at
// most the flush time-out: a collector that does not answer cannot hold the
// broker's exit. A nil Provider (tracing off) has nothing to close; a
// second Close does nothing.
func (p *Provider) Close() error {
	if p == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.flush)
	defer cancel()
	if err := p.tp.Shutdown(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("tracing: spans not exported within %s at shutdown: %w", p.flush, err)
		}
		return fmt.Errorf("tracing: %w", err)
	}
	return nil
}

// newResource names the process: the service, its version, and the host
// (a pod's name), which tells replicas apart. Not resource.Default, which
// would take OTEL_RESOURCE_ATTRIBUTES from the environment.
func newResource(service string) *resource.Resource {
	attrs := []attribute.KeyValue{
		attribute.String("service.name", service),
		attribute.String("telemetry.sdk.language", "go"),
		attribute.String("telemetry.sdk.name", "opentelemetry"),
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		attrs = append(attrs, attribute.String("service.version", bi.Main.Version))
	}
	if h, err := os.Hostname(); err == nil {
		attrs = append(attrs, attribute.String("host.name", h))
	}
	return resource.NewSchemaless(attrs...)
}
