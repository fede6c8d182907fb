package compose_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/testutil"
	"github.com/secds/secds/internal/testutil/otlpsink"
)

// collectorKey is the trace collector's API key, given in
// tracing.headers_file (percent-encoded there).
const collectorKey = "collector-key-s3cret/0042"

// clientParent is the traceparent a client sends: sampled, with a trace ID
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
	ans := &answers{}
	emu, awsCfg := serveDevEmulator(t, func(h http.Handler) *httptest.Server { return httptest.NewServer(ans.wrap(h)) })
	// Two attempts, at once: a test sees a retry without waiting.
	awsCfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 2
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
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
