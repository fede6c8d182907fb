package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/testutil"
)

func TestCheckValidatesTheMapping(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	mapping := filepath.Join(dir, "teams.yaml")

	if err := os.WriteFile(mapping, configs.DevTeams, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"--config", cfg, "--check"}, &out, &errOut); code != 0 {
		t.Fatalf("good files: exit %d, %s", code, errOut.String())
	}

	bad := "version: 1\nteams:\n  - name: x\n    match: []\n    role_arn: nope\n"
	if err := os.WriteFile(mapping, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"--config", cfg, "--check"}, &out, &errOut); code == 0 {
		t.Fatal("a broken mapping passed --check")
	}
	for _, want := range []string{mapping + ":4:12: team \"x\" has no match rules", mapping + ":5:15: role_arn \"nope\""} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("missing %q in:\n%s", want, errOut.String())
		}
	}
}

// --listen is checked as the file's listen is: on the metrics port it is
// refused, not served.
func TestListenFlagIsValidated(t *testing.T) {
	cfg := writeConfig(t, t.TempDir())
	for flag, want := range map[string]string{"127.0.0.1:9464": "metrics.listen: ", "nowhere": `listen: "nowhere"`} {
		var out, errOut bytes.Buffer
		if code := run([]string{"--config", cfg, "--listen", flag, "--check"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), want) {
			t.Errorf("--listen %s: exit %d, %s", flag, code, errOut.String())
		}
	}
}

// writeConfig writes a minimal broker.yaml into dir, its secrets in the
// environment.
func writeConfig(t *testing.T, dir string) string {
	t.Helper()
	t.Setenv("SECDS_OIDC_CLIENT_SECRET", "s")
	t.Setenv("SECDS_SESSION_KEYS", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	cfg := filepath.Join(dir, "broker.yaml")
	if err := os.WriteFile(cfg, []byte("public_url: https://n.example\nmapping_file: teams.yaml\noidc: {issuer: https://idp.example, client_id: c}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	for _, args := range [][]string{nil, {"--dev", "--config", "x"}, {"--bogus"}} {
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("run(%v) = %d, want 2", args, code)
		}
	}
}

// TestMetricsHaveTheirOwnListener: /metrics is not on the public listener
// (a load balancer would hand it to anyone), only on metrics.listen.
func TestMetricsHaveTheirOwnListener(t *testing.T) {
	addrs, _ := startBroker(t, "")
	if addrs.MetricsAddr == "" || addrs.MetricsAddr == addrs.Addr {
		t.Fatalf("metrics_addr = %q beside addr %q", addrs.MetricsAddr, addrs.Addr)
	}
	if addrs.PprofAddr != "" {
		t.Errorf("the profiler listens on %s though pprof.listen is not set", addrs.PprofAddr)
	}
	if status, _ := get(t, "http://"+addrs.Addr+"/metrics"); status != http.StatusNotFound {
		t.Errorf("the public listener answers /metrics with %d, want 404", status)
	}
	if status, body := get(t, "http://"+addrs.Addr+"/healthz"); status != http.StatusOK {
		t.Errorf("the public listener's /healthz = %d %s", status, body)
	}
	status, body := get(t, "http://"+addrs.MetricsAddr+"/metrics")
	if status != http.StatusOK || !strings.Contains(body, "secds_mapping_version") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("the metrics listener's /metrics = %d:\n%.500s", status, body)
	}
	// The public listener's request was timed under its route.
	if !strings.Contains(body, `secds_http_request_duration_seconds_count{method="GET",route="/healthz",status="2xx"} 1`) {
		t.Errorf("the /healthz request is not in the request latency histogram:\n%s", grep(body, "secds_http_"))
	}
	if status, _ := get(t, "http://"+addrs.MetricsAddr+"/"); status != http.StatusNotFound {
		t.Errorf("the metrics listener serves / with %d; it serves /metrics only", status)
	}
}

// TestPprofHasItsOwnListener: with pprof.listen the profiler is served
// there, and on neither the public nor the metrics listener.
func TestPprofHasItsOwnListener(t *testing.T) {
	addrs, _ := startBroker(t, "pprof: {listen: \"127.0.0.1:0\"}\n")
	if addrs.PprofAddr == "" {
		t.Fatal("no pprof_addr in the start-up line")
	}
	if status, body := get(t, "http://"+addrs.PprofAddr+"/debug/pprof/cmdline"); status != http.StatusOK || body == "" {
		t.Errorf("the profiler's /debug/pprof/cmdline = %d %q", status, body)
	}
	if status, _ := get(t, "http://"+addrs.PprofAddr+"/debug/pprof/goroutine?debug=1"); status != http.StatusOK {
		t.Errorf("the profiler's goroutine profile = %d", status)
	}
	for _, a := range []string{addrs.Addr, addrs.MetricsAddr} {
		if status, _ := get(t, "http://"+a+"/debug/pprof/cmdline"); status != http.StatusNotFound {
			t.Errorf("%s answers /debug/pprof/cmdline with %d, want 404", a, status)
		}
	}
}

// A non-loopback pprof.listen is refused at start.
func TestPprofOnTheNetworkIsRefused(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, dir)
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString("pprof: {listen: \":6060\"}\n")
	f.Close()
	var out, errOut bytes.Buffer
	if code := run([]string{"--config", cfg, "--check"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), `pprof.listen: ":6060" is not a loopback address`) {
		t.Errorf("exit %d: %s", code, errOut.String())
	}
}

type listenAddrs struct {
	Addr        string `json:"addr"`
	MetricsAddr string `json:"metrics_addr"`
	PprofAddr   string `json:"pprof_addr"`
}

// startBroker runs the broker from a config file (plus extra, YAML lines)
// until t ends, and returns the addresses its start-up line gives and its
// log.
func startBroker(t *testing.T, extra string) (listenAddrs, *testutil.Buffer) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("SECDS_OIDC_CLIENT_SECRET", "s")
	t.Setenv("SECDS_SESSION_KEYS", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	cfg := filepath.Join(dir, "broker.yaml")
	conf := "listen: 127.0.0.1:0\nmetrics: {listen: \"127.0.0.1:0\"}\npublic_url: http://127.0.0.1:1\nmapping_file: teams.yaml\n" +
		"oidc: {issuer: http://127.0.0.1:1, client_id: c}\naws: {region: us-east-1}\n" + extra
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "teams.yaml"), configs.DevTeams, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut testutil.Buffer
	done := make(chan int)
	go func() { done <- runConfig(ctx, cfg, "", false, &out, &errOut) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d: %s", code, errOut.String())
		}
	})

	var addrs listenAddrs
	for deadline := time.Now().Add(10 * time.Second); addrs.Addr == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the broker did not say where it listens:\n%s", errOut.String())
		}
		for _, line := range strings.Split(errOut.String(), "\n") {
			if strings.Contains(line, "secds-broker listening") {
				if err := json.Unmarshal([]byte(line), &addrs); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return addrs, &errOut
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// grep keeps the lines of s that contain sub.
func grep(s, sub string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestAccessLog: outside --dev the log is JSON, the access log's line per
// request carries the request's ID, and log.access: debug leaves those
// lines out.
func TestAccessLog(t *testing.T) {
	for _, tt := range []struct {
		extra string
		want  bool
	}{{"", true}, {"log: {access: debug}\n", false}} {
		addrs, logs := startBroker(t, tt.extra)
		resp, err := http.Get("http://" + addrs.Addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		rid := resp.Header.Get("X-Request-Id")
		// The line is written once the answer is sent: wait for it, or
		// for a request after it (the metrics scrape logs nothing).
		var found bool
		for deadline := time.Now().Add(2 * time.Second); !found && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			for _, line := range strings.Split(logs.String(), "\n") {
				var rec map[string]any
				if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == "http" && rec["request_id"] == rid && rec["path"] == "/healthz" {
					found = true
				}
			}
			if !tt.want {
				break
			}
		}
		if !tt.want {
			time.Sleep(200 * time.Millisecond)
			found = strings.Contains(logs.String(), rid)
		}
		if found != tt.want {
			t.Errorf("%q: access line for request %s found = %v, want %v:\n%s", tt.extra, rid, found, tt.want, logs.String())
		}
	}
}

func TestTextLog(t *testing.T) {
	var b bytes.Buffer
	newLogger(config.Log{Format: config.LogText}, &b).Info("secds-broker listening", "addr", "127.0.0.1:8080")
	if got := b.String(); !strings.Contains(got, `msg="secds-broker listening" addr=127.0.0.1:8080`) {
		t.Errorf("log.format text wrote %q", got)
	}
	b.Reset()
	newLogger(config.Log{Format: config.LogJSON}, &b).Info("x")
	if !json.Valid(b.Bytes()) {
		t.Errorf("log.format json wrote %q", b.String())
	}
}

// TestAuditWriteFailuresAreCounted: with an audit file that refuses every
// write, a sign-in attempt's event is lost, and /metrics says so.
func TestAuditWriteFailuresAreCounted(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full to refuse the writes")
	}
	addrs, _ := startBroker(t, "audit: {file: /dev/full}\n")
	const series = `secds_audit_write_failures_total{type="login"} `
	_, before := get(t, "http://"+addrs.MetricsAddr+"/metrics")
	if !strings.Contains(before, series+"0") {
		t.Fatalf("before any sign-in:\n%s", grep(before, "secds_audit_"))
	}
	// The identity provider cannot be reached: the sign-in fails, and its
	// audit event cannot be written.
	if status, _ := get(t, "http://"+addrs.Addr+"/login"); status < 500 {
		t.Fatalf("/login = %d with no identity provider", status)
	}
	_, after := get(t, "http://"+addrs.MetricsAddr+"/metrics")
	if !strings.Contains(after, series+"1") || !strings.Contains(after, `secds_audit_events_total{code="idp_unavailable",decision="failed",type="login",via="browser"} 1`) {
		t.Errorf("after a sign-in whose event was lost:\n%s", grep(after, "secds_audit_"))
	}
}
