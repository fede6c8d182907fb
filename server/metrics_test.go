package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TestRequestLatencyByRoute scrapes /metrics from a real metrics listener
// and finds each request under its route template and status class, and no
// path a client made up.
func TestRequestLatencyByRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	ts := newTestServer(t, "https://notebooks.example", func(c *Config) { c.Metrics = reg })
	metrics := httptest.NewServer(MetricsHandler(reg))
	defer metrics.Close()

	ts.do(http.MethodGet, "/healthz", nil, nil)
	if w := ts.do(http.MethodPost, "/api/v1/open", strings.NewReader(`{"notebook":"ds-alice"}`), nil, append(bearer(ts.token("alice")), "Content-Type", "application/json")...); w.Code != http.StatusOK {
		t.Fatalf("open: %d %s", w.Code, w.Body)
	}
	ts.do(http.MethodGet, "/static/no-such-file-alice.css", nil, nil)
	ts.do(http.MethodGet, "/no/such/page/alice", nil, nil)
	ts.do("BREW", "/healthz", nil, nil)

	got, body := scrape(t, metrics.URL)
	for series, want := range map[string]float64{
		`secds_http_request_duration_seconds{method="GET",route="/healthz",status="2xx"}`:      1,
		`secds_http_request_duration_seconds{method="POST",route="/api/v1/open",status="2xx"}`: 1,
		`secds_http_request_duration_seconds{method="GET",route="/static/*",status="4xx"}`:     1,
		`secds_http_request_duration_seconds{method="GET",route="unmatched",status="4xx"}`:     1,
		`secds_http_request_duration_seconds{method="other",route="unmatched",status="4xx"}`:   1,
	} {
		if got[series] != want {
			t.Errorf("%s = %v, want %v", series, got[series], want)
		}
	}
	for _, leak := range []string{"alice", "no-such", "BREW"} {
		if strings.Contains(body, leak) {
			t.Errorf("the metrics name %q, which a client chose", leak)
		}
	}

	// The series move.
	ts.do(http.MethodGet, "/healthz", nil, nil)
	if got, _ := scrape(t, metrics.URL); got[`secds_http_request_duration_seconds{method="GET",route="/healthz",status="2xx"}`] != 2 {
		t.Errorf("a second /healthz was not counted")
	}
}

// TestNoProfilingOnThePublicListener: the profiler has a listener of its
// own (pprof.listen); the public handler never serves it, though the
// package that serves it is linked in.
func TestNoProfilingOnThePublicListener(t *testing.T) {
	ts := newTestServer(t, "https://notebooks.example")
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		if w := ts.do(http.MethodGet, path, nil, nil); w.Code != http.StatusNotFound {
			t.Errorf("the public handler answers %s with %d, want 404", path, w.Code)
		}
	}
	prof := httptest.NewServer(PprofHandler())
	defer prof.Close()
	resp, err := http.Get(prof.URL + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the profiling handler answers /debug/pprof/cmdline with %d", resp.StatusCode)
	}
}

// scrape gets url/metrics as Prometheus would and maps each series
// (name{labels} in the exposition's order) to a counter's value or a
// histogram's count.
func scrape(t *testing.T, url string) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			k := name + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetHistogram() != nil:
				out[k] = float64(m.GetHistogram().GetSampleCount())
			case m.GetCounter() != nil:
				out[k] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[k] = m.GetGauge().GetValue()
			}
		}
	}
	return out, string(b)
}
