package tracing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/testutil"
	"github.com/secds/secds/internal/testutil/otlpsink"
)

func on(endpoint string) config.Tracing {
	r := 1.0
	return config.Tracing{OTLPEndpoint: endpoint, SampleRatio: &r, ServiceName: "secds-test"}
}

func TestOffStartsNothing(t *testing.T) {
	p, err := New(config.Tracing{}, map[string]string{"x-api-key": "k"}, Options{})
	if p != nil || err != nil {
		t.Fatalf("New with no endpoint = %v, %v; want nil, nil", p, err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("closing no provider: %v", err)
	}
}

// TestCloseIsBounded: a collector that never answers holds the broker's
// exit no longer than the flush time-out.
func TestCloseIsBounded(t *testing.T) {
	recv, srv := otlpsink.Start(t)
	recv.Hold = make(chan struct{})
	t.Cleanup(func() { close(recv.Hold) })
	p, err := New(on(srv.URL), nil, Options{FlushTimeout: 300 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider().Tracer("test").Start(context.Background(), "work")
	span.End()
	start := time.Now()
	err = p.Close()
	took := time.Since(start)
	if err == nil || !strings.Contains(err.Error(), "not exported within 300ms") {
		t.Errorf("Close = %v, want the time-out said", err)
	}
	if took > 2*time.Second {
		t.Errorf("Close took %s with a flush time-out of 300ms", took)
	}
}

// TestFlushAtClose: spans still in the batch reach the collector at Close,
// at the endpoint's /v1/traces, with the configured headers only: the
// SDK's environment variables neither redirect nor add to them.
func TestFlushAtClose(t *testing.T) {
	recv, srv := otlpsink.Start(t)
	_, other := otlpsink.Start(t)
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", other.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", other.URL+"/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-from-env=1")
	p, err := New(on(srv.URL+"/"), map[string]string{"x-api-key": "k1"}, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider().Tracer("test").Start(context.Background(), "work")
	span.End()
	if n := recv.Count(); n != 0 {
		t.Fatalf("%d spans exported before the batch's time: the test cannot see the flush", n)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	spans := recv.Spans()
	if len(spans) != 1 || spans[0].Name != "work" || spans[0].Resource["service.name"] != "secds-test" {
		t.Fatalf("got %+v, want the span work of secds-test", spans)
	}
	h := recv.Headers()[0]
	if h.Get("X-Api-Key") != "k1" || h.Get("X-From-Env") != "" {
		t.Errorf("headers %v: want x-api-key and not the environment's", h)
	}
}

// TestAWSSpans: a call made inside a recording span gets a client span
// under it; one made without (background work) gets none.
func TestAWSSpans(t *testing.T) {
	aws400 := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-RequestId", "req-123")
		if aws400 {
			w.Header().Set("X-Amzn-RequestId", "req-456")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User arn:aws:iam::1:user/x is not allowed</Message></Error><RequestId>req-456</RequestId></ErrorResponse>`)
			return
		}
		fmt.Fprint(w, `<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/b</Arn><UserId>AIDA</UserId><Account>1</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-123</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
	}))
	defer srv.Close()
	cfg := aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")}
	cfg.APIOptions = append(cfg.APIOptions, AWSAPIOption())
	client := sts.NewFromConfig(cfg)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer func() { _ = tp.Shutdown(context.Background()) }()

	if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Ended()); n != 0 {
		t.Fatalf("%d spans for a call with no span in its context", n)
	}

	ctx, parent := tp.Tracer("test").Start(context.Background(), "request")
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	aws400 = true
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("the refusal was no error")
	}
	parent.End()
	spans := rec.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want two calls and the request", len(spans))
	}
	for i, s := range spans[:2] {
		if s.Name() != "STS.GetCallerIdentity" || s.Parent().SpanID() != parent.SpanContext().SpanID() {
			t.Errorf("span %d: %s under %s", i, s.Name(), s.Parent().SpanID())
		}
		got := map[string]string{}
		for _, a := range s.Attributes() {
			got[string(a.Key)] = a.Value.Emit()
		}
		want := map[string]string{"rpc.system": "aws-api", "rpc.service": "STS", "rpc.method": "GetCallerIdentity",
			"cloud.region": "eu-west-1", "aws.request_id": "req-123", "http.response.status_code": "200", "secds.aws.attempts": "1"}
		if i == 1 {
			want["aws.request_id"], want["http.response.status_code"] = "req-456", "403"
			want["error.type"], want["secds.aws.error_kind"] = "AccessDenied", "denied"
			if s.Status().Description != "AccessDenied" {
				t.Errorf("refused call's status %+v", s.Status())
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("span %d: %s = %q, want %q", i, k, got[k], v)
			}
		}
		for k, v := range got {
			if strings.Contains(v, "arn:aws") || strings.Contains(v, "AKID") {
				t.Errorf("span %d: %s = %q holds the call's data", i, k, v)
			}
		}
		if len(s.Events()) != 0 {
			t.Errorf("span %d has events %v: an error message may quote a resource", i, s.Events())
		}
	}
}

// TestDiagnosticsNeverLogValues: the SDK's own log goes to the broker's
// without its key/value pairs, where the exporter puts a header's value.
func TestDiagnosticsNeverLogValues(t *testing.T) {
	var logs testutil.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	_, srv := otlpsink.Start(t)
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=%zz-the-secret-value")
	p, err := New(on(srv.URL), nil, Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	_ = p.Close()
	if !strings.Contains(logs.String(), "escape header value") {
		t.Fatalf("the SDK's complaint was not logged: %s", logs.String())
	}
	if strings.Contains(logs.String(), "the-secret-value") {
		t.Errorf("the log holds the header's value: %s", logs.String())
	}
}

// TestExportErrorsAreRateLimited: a collector that is down fails every
// batch; the log says so once a minute, with how many it left out.
func TestExportErrorsAreRateLimited(t *testing.T) {
	var logs testutil.Buffer
	now := time.Unix(1000, 0)
	h := &errorHandler{log: slog.New(slog.NewTextHandler(&logs, nil)), now: func() time.Time { return now }}
	for range 5 {
		h.Handle(errors.New("export failed"))
		now = now.Add(10 * time.Second)
	}
	now = now.Add(time.Minute)
	h.Handle(errors.New("export failed"))
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "errors_not_logged=4") {
		t.Errorf("logged %q, want two lines, the second counting 4 left out", lines)
	}
}
