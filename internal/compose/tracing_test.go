package compose_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/internal/testutil"
	"github.com/secds/secds/internal/testutil/otlpsink"
)

// collectorKey is the trace collector's API key, given in
// tracing.headers_file (percent-encoded there).
const collectorKey = "collector-key-s3cret/0042"

// clientTrace is the traceparent a client sends: sampled, with a trace ID
// of its choosing.
const (
	clientTraceID = "0af7651916cd43dd8448eb211c80319c"
	clientSpanID  = "b7ad6b7169203331"
	clientParent  = "00-" + clientTraceID + "-" + clientSpanID + "-01"
)

var alice = abac.Identity{Subject: "dev-alice", Username: "alice", Email: "alice@example.com", Groups: []string{"ds-fraud"}}

// tracedStack is a broker built by compose.Build from a configuration
// file, against the loopback emulator, served on a loopback listener.
type tracedStack struct {
	b      *compose.Broker
	emu    *awsemu.Emulator
	url    string
	logs   *testutil.Buffer
	answer *answers
}

// answers keeps every body the emulator answered with: the role sessions'
// keys and the presigned URLs, which no span may hold.
type answers struct {
	mu     sync.Mutex
	bodies bytes.Buffer
}

func (a *answers) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		a.mu.Lock()
		a.bodies.Write(rec.Body.Bytes())
		a.bodies.WriteByte('\n')
		a.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// secrets are the credentials and URLs the emulator handed out.
func (a *answers) secrets(t *testing.T) []string {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`<AccessKeyId>([^<]+)</AccessKeyId>`),
		regexp.MustCompile(`<SecretAccessKey>([^<]+)</SecretAccessKey>`),
		regexp.MustCompile(`<SessionToken>([^<]+)</SessionToken>`),
		regexp.MustCompile(`"AuthorizedUrl":"([^"]+)"`),
	} {
		for _, m := range re.FindAllStringSubmatch(a.bodies.String(), -1) {
			out = append(out, m[1])
		}
	}
	if len(out) < 4 {
		t.Fatalf("the emulator handed out %d secrets, want a session's three and a URL", len(out))
	}
	return out
}

// startTraced builds a broker whose configuration ends with extra (a
// tracing block, or nothing; an aws block first in it replaces the
// default one) and whose options tune changes, with CLI token keys and the collector key in
// otlp-headers beside it.
func startTraced(t *testing.T, extra string, tune ...func(*compose.Options)) *tracedStack {
	t.Helper()
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		t.Fatal(err)
	}
	if seed, err = iamseed.Apply(seed, m, iampolicy.Options{BrokerPrincipal: seed.Credentials[0].Principal}); err != nil {
		t.Fatal(err)
	}
	emu, err := awsemu.New(seed)
	if err != nil {
		t.Fatal(err)
	}
	ans := &answers{}
	awsSrv := httptest.NewServer(ans.wrap(emu.Handler()))
	t.Cleanup(awsSrv.Close)
	emu.SetBaseURL(awsSrv.URL)
	cred := seed.Credentials[0]
	awsCfg := aws.Config{
		Region:       seed.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, ""),
		BaseEndpoint: aws.String(awsSrv.URL),
		// Two attempts, at once: a test sees a retry without waiting.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 2
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}

	dir := t.TempDir()
	files := map[string]string{
		"client-secret": "s3cret\n",
		"session-keys":  base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)) + "\n",
		"token-keys":    base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32)) + "\n",
		"otlp-headers":  "# the collector's key\nx-api-key=" + strings.ReplaceAll(collectorKey, "/", "%2F") + "\n",
		"teams.yaml":    string(configs.DevTeams),
		"broker.yaml": `public_url: http://127.0.0.1:8080
oidc: {issuer: "http://127.0.0.1:1", client_id: secds, client_secret_file: client-secret}
session: {keys_file: session-keys}
tokens: {keys_file: token-keys}
metrics: {listen: "off"}
mapping_file: teams.yaml
` + extra,
	}
	if !strings.HasPrefix(extra, "aws:") {
		files["broker.yaml"] += "aws: {region: us-east-1}\n"
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "broker.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	logs := &testutil.Buffer{}
	opts := compose.Options{Log: slog.New(slog.NewJSONHandler(logs, nil)), AuditOut: io.Discard, AWS: &awsCfg}
	for _, f := range tune {
		f(&opts)
	}
	b, err := compose.Build(t.Context(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	srv := httptest.NewServer(b.Handler)
	t.Cleanup(srv.Close)
	return &tracedStack{b: b, emu: emu, url: srv.URL, logs: logs, answer: ans}
}

// token is a CLI token for id, as secds login gets one.
func (st *tracedStack) token(t *testing.T, id abac.Identity) string {
	t.Helper()
	tok, err := st.b.Tokens.Issue(st.b.Mapping.Mapping().Keep(id))
	if err != nil {
		t.Fatal(err)
	}
	return tok.Raw
}

// do sends a request; headers are name, value pairs.
func (st *tracedStack) do(t *testing.T, method, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, st.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// open is a CLI's POST /api/v1/open, with a traceparent and a cookie of
// the client's.
func (st *tracedStack) open(t *testing.T, tok, notebook string) (*http.Response, []byte) {
	t.Helper()
	return st.do(t, http.MethodPost, "/api/v1/open", `{"notebook":"`+notebook+`"}`,
		"Authorization", "Bearer "+tok, "Content-Type", "application/json",
		"traceparent", clientParent, "Cookie", "secds_probe=cookie-s3cret-77")
}

// byTrace groups spans by trace, each trace's spans in the order received.
func byTrace(spans []otlpsink.Span) map[string][]otlpsink.Span {
	out := map[string][]otlpsink.Span{}
	for _, s := range spans {
		out[s.TraceID] = append(out[s.TraceID], s)
	}
	return out
}

// root is a trace's span without a parent.
func root(t *testing.T, spans []otlpsink.Span) otlpsink.Span {
	t.Helper()
	var roots []otlpsink.Span
	for _, s := range spans {
		if s.ParentSpanID == "" {
			roots = append(roots, s)
		}
	}
	if len(roots) != 1 {
		t.Fatalf("%d root spans in a trace, want 1: %+v", len(roots), spans)
	}
	return roots[0]
}

func names(spans []otlpsink.Span) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

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

// waitFor polls cond until it holds, for 10 seconds at most.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the condition did not come about in 10s")
		}
	}
}

func goroutines() string {
	var b bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return b.String()
}

// sdkGoroutines counts goroutines running the OpenTelemetry SDK's code.
func sdkGoroutines() int {
	n := 0
	for _, g := range strings.Split(goroutines(), "\n\n") {
		if strings.Contains(g, "go.opentelemetry.io/otel/sdk") || strings.Contains(g, "otlptracehttp") {
			n++
		}
	}
	return n
}
