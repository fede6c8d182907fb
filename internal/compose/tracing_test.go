package compose_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/testutil/moto"
	"github.com/secds/secds/internal/testutil/otlpsink"
)

// TestOpenIsTracedEndToEnd: a CLI's open through the broker compose.Build
// makes, against the emulator, reaches an OTLP/HTTP receiver (once the
// broker closes, which flushes) as one trace: the server span, named by
// the route, parent of a client span for each AWS call. A retried call
// counts its attempts, a failed one is an error span with the AWS code,
// and the refused open's span carries the API error code. Nothing secret
// is in any span, nor in the bytes the collector got, nor in the log.
func TestOpenIsTracedEndToEnd(t *testing.T) {
	recv, collector := otlpsink.Start(t)
	st := startTraced(t, fmt.Sprintf(`tracing:
  otlp_endpoint: %s
  sample_ratio: 1
  service_name: secds-test
  headers: {x-scope-orgid: secds-tests}
  headers_file: otlp-headers
`, collector.URL))
	if st.b.Tracing == nil {
		t.Fatal("tracing is configured but the broker has no exporter")
	}
	tok := st.token(t, alice)

	// 1: the first open: AssumeRole, the notebook list, the presign (its
	// first attempt refused with a 500, the second served).
	st.emu.InjectFault("CreatePresignedNotebookInstanceUrl", awsemu.Fault{Code: "InternalFailure", Status: http.StatusInternalServerError, Times: 1})
	resp, body := st.open(t, tok, "fraud-alice")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("open: %d %s", resp.StatusCode, body)
	}
	var opened struct{ URL string }
	if err := json.Unmarshal(body, &opened); err != nil || opened.URL == "" {
		t.Fatalf("open answered %s", body)
	}
	okID := resp.Header.Get("X-Request-Id")

	// 2: the same open, warm, with SageMaker throttling every attempt.
	st.emu.InjectFault("CreatePresignedNotebookInstanceUrl", awsemu.Fault{Code: "ThrottlingException"})
	resp, body = st.open(t, tok, "fraud-alice")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("throttled open: %d %s", resp.StatusCode, body)
	}
	failedID := resp.Header.Get("X-Request-Id")
	st.emu.ClearFaults()

	if err := st.b.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	traces := byTrace(recv.Spans())
	if len(traces) != 2 {
		t.Fatalf("%d traces, want one per open: %v", len(traces), traces)
	}

	var ok, failed []otlpsink.Span
	for id, spans := range traces {
		if id == clientTraceID {
			t.Errorf("a trace took the client's traceparent, which is not trusted by default")
		}
		switch root(t, spans).Attrs["secds.request_id"] {
		case okID:
			ok = spans
		case failedID:
			failed = spans
		}
	}
	if ok == nil || failed == nil {
		t.Fatalf("no trace carries the request IDs %s and %s: %v", okID, failedID, traces)
	}

	t.Run("the granted open", func(t *testing.T) {
		srv := root(t, ok)
		if srv.Name != "POST /api/v1/open" || srv.Kind != "server" {
			t.Errorf("server span %q (%s), want POST /api/v1/open (server)", srv.Name, srv.Kind)
		}
		for k, want := range map[string]string{"http.request.method": "POST", "http.route": "/api/v1/open", "http.response.status_code": "200"} {
			if srv.Attrs[k] != want {
				t.Errorf("server span %s = %q, want %q", k, srv.Attrs[k], want)
			}
		}
		if srv.StatusError {
			t.Errorf("a granted open's span is an error")
		}
		if !strings.Contains(st.logs.String(), `"request_id":"`+okID+`","method":"POST","path":"/api/v1/open","status":200`) ||
			!strings.Contains(st.logs.String(), `"trace_id":"`+srv.TraceID+`"`) {
			t.Errorf("the access log's line does not lead to the trace %s:\n%s", srv.TraceID, st.logs.String())
		}
		if srv.Resource["service.name"] != "secds-test" {
			t.Errorf("service.name %q, want secds-test", srv.Resource["service.name"])
		}
		if len(srv.Links) != 1 || srv.Links[0].TraceID != clientTraceID || srv.Links[0].SpanID != clientSpanID {
			t.Errorf("links %+v, want one to the client's traceparent", srv.Links)
		}
		children := map[string]otlpsink.Span{}
		for _, s := range ok {
			if s.SpanID == srv.SpanID {
				continue
			}
			if s.ParentSpanID != srv.SpanID {
				t.Errorf("span %s's parent is %s, not the request's span", s.Name, s.ParentSpanID)
			}
			children[s.Name] = s
		}
		for _, name := range []string{"STS.AssumeRole", "SageMaker.ListNotebookInstances", "SageMaker.ListTags", "SageMaker.CreatePresignedNotebookInstanceUrl"} {
			s, found := children[name]
			if !found {
				t.Errorf("no span %s under the request's; its children: %v", name, names(ok))
				continue
			}
			svc, op, _ := strings.Cut(name, ".")
			for k, want := range map[string]string{"rpc.system": "aws-api", "rpc.service": svc, "rpc.method": op, "cloud.region": "us-east-1", "http.response.status_code": "200"} {
				if s.Attrs[k] != want {
					t.Errorf("%s: %s = %q, want %q", name, k, s.Attrs[k], want)
				}
			}
			if s.Kind != "client" || s.StatusError || s.Attrs["aws.request_id"] == "" {
				t.Errorf("%s: kind %s, error %v, aws.request_id %q: want a client span, no error, AWS's request ID", name, s.Kind, s.StatusError, s.Attrs["aws.request_id"])
			}
			if s.Start.Before(srv.Start) || s.End.After(srv.End) {
				t.Errorf("%s does not lie within the request's span", name)
			}
		}
		if got := children["SageMaker.CreatePresignedNotebookInstanceUrl"].Attrs["secds.aws.attempts"]; got != "2" {
			t.Errorf("the presign retried once: attempts %q, want 2", got)
		}
	})

	t.Run("the throttled open", func(t *testing.T) {
		srv := root(t, failed)
		for k, want := range map[string]string{"http.response.status_code": "503", "secds.error.code": "aws_throttled", "secds.error.kind": "unavailable", "error.type": "aws_throttled"} {
			if srv.Attrs[k] != want {
				t.Errorf("server span %s = %q, want %q", k, srv.Attrs[k], want)
			}
		}
		if !srv.StatusError {
			t.Errorf("a 503's span is not an error")
		}
		if got := names(failed); len(got) != 2 || !slices.Contains(got, "SageMaker.CreatePresignedNotebookInstanceUrl") {
			t.Fatalf("spans %v, want the request's and the presign's (sessions and list cached)", got)
		}
		for _, s := range failed {
			if s.Name != "SageMaker.CreatePresignedNotebookInstanceUrl" {
				continue
			}
			if !s.StatusError || s.StatusMessage != "ThrottlingException" {
				t.Errorf("failed presign: error %v %q, want an error span saying ThrottlingException", s.StatusError, s.StatusMessage)
			}
			for k, want := range map[string]string{"error.type": "ThrottlingException", "secds.aws.error_kind": "throttled", "http.response.status_code": "400", "secds.aws.attempts": "2"} {
				if s.Attrs[k] != want {
					t.Errorf("failed presign: %s = %q, want %q", k, s.Attrs[k], want)
				}
			}
			if s.ParentSpanID != srv.SpanID {
				t.Errorf("the failed presign is not under the request's span")
			}
		}
	})

	t.Run("no secret leaves", func(t *testing.T) {
		secrets := append(st.answer.secrets(t), tok, opened.URL, "cookie-s3cret-77", "Bearer", collectorKey,
			"AKIAEXAMPLEBROKER01", "alice", "fraud-alice")
		// The URL's parts too: its token is the part that matters.
		if i := strings.IndexByte(opened.URL, '?'); i > 0 {
			secrets = append(secrets, opened.URL[i+1:])
		}
		var text strings.Builder
		for _, s := range recv.Spans() {
			text.WriteString(s.Text())
		}
		raw := bytes.Join(recv.Bodies(), nil)
		for _, s := range secrets {
			if strings.Contains(text.String(), s) {
				t.Errorf("a span holds %q", s)
			}
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("the bytes sent to the collector hold %q", s)
			}
		}
		if strings.Contains(st.logs.String(), collectorKey) || strings.Contains(st.logs.String(), "s3cret%2F") {
			t.Errorf("the broker logged the collector's key")
		}
	})

	t.Run("the collector gets the configured headers", func(t *testing.T) {
		hs := recv.Headers()
		if len(hs) == 0 {
			t.Fatal("no export")
		}
		for _, h := range hs {
			if h.Get("X-Api-Key") != collectorKey || h.Get("X-Scope-Orgid") != "secds-tests" {
				t.Errorf("export headers x-api-key %q, x-scope-orgid %q", h.Get("X-Api-Key"), h.Get("X-Scope-Orgid"))
			}
		}
	})
}

// TestRequestSpans: routes name spans by their template, never by the
// path a client sent; probes make none; a request not sampled makes no
// AWS span; a trusted traceparent is continued, sampled as it says.
func TestRequestSpans(t *testing.T) {
	t.Run("names and probes", func(t *testing.T) {
		recv, collector := otlpsink.Start(t)
		st := startTraced(t, "tracing: {otlp_endpoint: "+collector.URL+"}\n")
		st.do(t, http.MethodGet, "/healthz", "")
		st.do(t, http.MethodGet, "/readyz", "")
		st.do(t, http.MethodGet, "/static/no-such-alice.css", "")
		st.do(t, http.MethodGet, "/no/such/page/alice?code=c0de-s3cret", "")
		st.do(t, http.MethodGet, "/open?notebook=fraud-alice", "")
		st.do(t, "BREW", "/", "")
		if err := st.b.Close(); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range recv.Spans() {
			got = append(got, s.Name+" "+s.Attrs["http.response.status_code"])
			for _, leak := range []string{"alice", "c0de-s3cret", "BREW", "no-such"} {
				if strings.Contains(s.Text(), leak) {
					t.Errorf("span %s holds %q, which the client chose", s.Name, leak)
				}
			}
		}
		slices.Sort(got)
		// /open starts a sign-in, and the identity provider is down: 503.
		want := []string{"GET /open 503", "GET 404", "HTTP 405"}
		if !slices.Equal(got, want) {
			t.Errorf("spans %v, want %v (no probe, no static file)", got, want)
		}
	})

	t.Run("sample_ratio 0 traces nothing, not even a sampled traceparent", func(t *testing.T) {
		recv, collector := otlpsink.Start(t)
		st := startTraced(t, "tracing: {otlp_endpoint: "+collector.URL+", sample_ratio: 0}\n")
		if resp, body := st.open(t, st.token(t, alice), "fraud-alice"); resp.StatusCode != http.StatusOK {
			t.Fatalf("open: %d %s", resp.StatusCode, body)
		}
		if err := st.b.Close(); err != nil {
			t.Fatal(err)
		}
		if n := recv.Count(); n != 0 {
			t.Errorf("%d spans exported at sample ratio 0: %v", n, names(recv.Spans()))
		}
	})

	t.Run("a trusted traceparent is continued", func(t *testing.T) {
		recv, collector := otlpsink.Start(t)
		st := startTraced(t, "tracing: {otlp_endpoint: "+collector.URL+", sample_ratio: 0, trust_traceparent: true}\n")
		tok := st.token(t, alice)
		if resp, body := st.open(t, tok, "fraud-alice"); resp.StatusCode != http.StatusOK {
			t.Fatalf("open: %d %s", resp.StatusCode, body)
		}
		// Not sampled upstream: not traced here either.
		st.do(t, http.MethodPost, "/api/v1/open", `{"notebook":"fraud-alice"}`, "Authorization", "Bearer "+tok,
			"Content-Type", "application/json", "traceparent", "00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-00")
		if err := st.b.Close(); err != nil {
			t.Fatal(err)
		}
		traces := byTrace(recv.Spans())
		spans := traces[clientTraceID]
		if len(traces) != 1 || len(spans) == 0 {
			t.Fatalf("traces %v, want the client's only", traces)
		}
		var srv otlpsink.Span
		for _, s := range spans {
			if s.Kind == "server" {
				srv = s
			}
		}
		if srv.ParentSpanID != clientSpanID || len(srv.Links) != 0 {
			t.Errorf("server span's parent %q, links %v: want the client's span %s as parent", srv.ParentSpanID, srv.Links, clientSpanID)
		}
		if !slices.Contains(names(spans), "STS.AssumeRole") {
			t.Errorf("the trusted trace has no AWS spans: %v", names(spans))
		}
	})
}

// TestBackgroundWorkIsNotTraced: a notebook list relisted in the
// background, ahead of its TTL, is no span of the open that started it,
// nor a trace of its own.
func TestBackgroundWorkIsNotTraced(t *testing.T) {
	recv, collector := otlpsink.Start(t)
	var clock struct {
		sync.Mutex
		t time.Time
	}
	clock.t = time.Now()
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.t }
	st := startTraced(t, "aws: {region: us-east-1, discovery_ttl: 1s}\ntracing: {otlp_endpoint: "+collector.URL+"}\n",
		func(o *compose.Options) { o.Now = now })
	tok := st.token(t, alice)
	for range 2 {
		if resp, body := st.open(t, tok, "fraud-alice"); resp.StatusCode != http.StatusOK {
			t.Fatalf("open: %d %s", resp.StatusCode, body)
		}
		// Into the list's last tenth: the next open relists in the background.
		clock.Lock()
		clock.t = clock.t.Add(950 * time.Millisecond)
		clock.Unlock()
	}
	waitFor(t, func() bool { return st.emu.Calls("ListNotebookInstances") >= 2 })
	if n := st.emu.Calls("ListNotebookInstances"); n != 2 {
		t.Fatalf("%d listings, want the first open's and one in the background", n)
	}
	if err := st.b.Close(); err != nil {
		t.Fatal(err)
	}
	lists := 0
	for id, spans := range byTrace(recv.Spans()) {
		if r := root(t, spans); r.Kind != "server" {
			t.Errorf("trace %s starts with %s, not a request", id, r.Name)
		}
		for _, s := range spans {
			if s.Name == "SageMaker.ListNotebookInstances" {
				lists++
			}
		}
	}
	if lists != 1 {
		t.Errorf("%d ListNotebookInstances spans, want the first open's only", lists)
	}
}

// TestTracingOff: without a tracing block nothing is exported, though the
// SDK's own environment variables name a collector, and no exporter or
// SDK goroutine exists.
func TestTracingOff(t *testing.T) {
	recv, collector := otlpsink.Start(t)
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		t.Setenv(k, collector.URL)
	}
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")

	st := startTraced(t, "")
	if st.b.Tracing != nil {
		t.Fatal("the broker made an exporter with no tracing block")
	}
	if resp, body := st.open(t, st.token(t, alice), "fraud-alice"); resp.StatusCode != http.StatusOK {
		t.Fatalf("open: %d %s", resp.StatusCode, body)
	}
	if strings.Contains(st.logs.String(), "trace_id") {
		t.Errorf("a log line names a trace with tracing off:\n%s", st.logs.String())
	}
	if sdkGoroutines() != 0 {
		t.Errorf("an OpenTelemetry SDK goroutine runs with tracing off:\n%s", goroutines())
	}
	if err := st.b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := recv.Count(); n != 0 {
		t.Errorf("%d spans exported with tracing off", n)
	}

	// The control: on, the batch processor's goroutine runs until Close.
	on := startTraced(t, "tracing: {otlp_endpoint: "+collector.URL+"}\n")
	if sdkGoroutines() == 0 {
		t.Errorf("no SDK goroutine with tracing on: the check above proves nothing")
	}
	if err := on.b.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSharedStoreCallsAreTracedInRequestsOnly: with the DynamoDB store, a
// request that reads the table (an admin's history) has a DynamoDB span
// under its own; the store's polls, every 100ms here, make none.
func TestSharedStoreCallsAreTracedInRequestsOnly(t *testing.T) {
	db := moto.Start(t)
	recv, collector := otlpsink.Start(t)
	st := startTraced(t, fmt.Sprintf("mapping_store: {type: dynamodb, table: %s, endpoint: %q, poll_interval: 100ms}\ntracing: {otlp_endpoint: %s}\n",
		db.NewTable(t), db.URL, collector.URL))
	admin := abac.Identity{Subject: "dev-admin", Username: "admin", Groups: []string{"secds-admins"}}
	resp, body := st.do(t, http.MethodGet, "/api/v1/admin/mapping/history", "", "Authorization", "Bearer "+st.token(t, admin))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %d %s", resp.StatusCode, body)
	}
	// A few polls of the table, which must make no span.
	calls := dynamoCalls(t, st.b)
	waitFor(t, func() bool { return dynamoCalls(t, st.b) >= calls+3 })
	if err := st.b.Close(); err != nil {
		t.Fatal(err)
	}
	traces := byTrace(recv.Spans())
	if len(traces) != 1 {
		t.Fatalf("%d traces, want the request's only: %v", len(traces), traces)
	}
	for _, spans := range traces {
		srv := root(t, spans)
		if srv.Name != "GET /api/v1/admin/mapping/history" {
			t.Errorf("root span %q", srv.Name)
		}
		var dynamo []string
		for _, s := range spans {
			if s.Attrs["rpc.service"] == "DynamoDB" {
				dynamo = append(dynamo, s.Name)
				if s.ParentSpanID != srv.SpanID || s.Attrs["aws.request_id"] == "" {
					t.Errorf("%s: parent %s, request ID %q", s.Name, s.ParentSpanID, s.Attrs["aws.request_id"])
				}
			}
		}
		if len(dynamo) == 0 {
			t.Errorf("no DynamoDB span under the request: %v", names(spans))
		}
	}
}

// dynamoCalls is how many DynamoDB calls the broker made, as its metrics
// count them.
func dynamoCalls(t *testing.T, b *compose.Broker) uint64 {
	t.Helper()
	mfs, err := b.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() != "secds_aws_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "service" && l.GetValue() == "DynamoDB" {
					n += m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return n
}
