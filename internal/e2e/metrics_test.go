package e2e

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestMetricsFollowTheTraffic: a person's sign-in and opens in the browser,
// a refused open, a CLI login and an open through the API each move the
// series an operator watches on the replica's /metrics, and none of the
// names involved (user, notebook) becomes a label.
func TestMetricsFollowTheTraffic(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	metrics := st.Replicas[0].MetricsURL
	before := scrapeSeries(t, metrics)

	alice := NewHTTPUser(t, st, "alice")
	alice.Visit(st.URL+"/open?notebook=fraud-alice").MustContain(t, http.StatusOK, `id="notebook-name">fraud-alice<`)
	alice.Visit(st.URL + "/open?notebook=no-such-notebook")
	verifier := oauth2.GenerateVerifier()
	_, tm := exchange(t, st, cliLoginCode(t, alice, oauth2.S256ChallengeFromVerifier(verifier)), verifier, "")
	token, _ := tm["token"].(string)
	if status, _, m := apiCall(t, nil, http.MethodPost, st.URL+"/api/v1/open", token, map[string]string{"notebook": "fraud-alice"}, nil); status != http.StatusOK {
		t.Fatalf("open through the API = %d %v", status, m)
	}

	after := scrapeSeries(t, metrics)
	for series, want := range map[string]float64{
		`secds_audit_events_total{code="",decision="granted",type="login",via="browser"}`:                                          1,
		`secds_audit_events_total{code="",decision="granted",type="open",via="browser"}`:                                           1,
		`secds_audit_events_total{code="notebook_not_found",decision="denied",type="open",via="browser"}`:                          1,
		`secds_audit_events_total{code="",decision="granted",type="login",via="api"}`:                                              1, // a CLI token issued
		`secds_audit_events_total{code="",decision="granted",type="open",via="api"}`:                                               1,
		`secds_audit_write_failures_total{type="open"}`:                                                                            0,
		`secds_aws_request_duration_seconds_count{operation="CreatePresignedNotebookInstanceUrl",result="ok",service="SageMaker"}`: 2,
		`secds_http_request_duration_seconds_count{method="POST",route="/api/v1/open",status="2xx"}`:                               1,
		`secds_http_request_duration_seconds_count{method="POST",route="/api/v1/cli/token",status="2xx"}`:                          1,
	} {
		if d := after[series] - before[series]; d != want {
			t.Errorf("%s moved by %v, want %v", series, d, want)
		}
	}
	for _, series := range []string{
		`secds_aws_request_duration_seconds_count{operation="AssumeRole",result="ok",service="STS"}`,
		`secds_http_request_duration_seconds_count{method="GET",route="/open",status="3xx"}`, // to the notebook
		`secds_http_request_duration_seconds_count{method="GET",route="/open",status="4xx"}`, // no such notebook
		`secds_http_request_duration_seconds_count{method="GET",route="/callback",status="3xx"}`,
		`secds_token_cache_misses_total`, // the API open's token, first seen (verified once per request: no hit yet)
	} {
		if after[series] <= before[series] {
			t.Errorf("%s did not move (%v)", series, after[series])
		}
	}
	_, body := getBody(t, metrics+"/metrics")
	for _, name := range []string{"alice", "fraud", "no-such-notebook", token} {
		if strings.Contains(body, name) {
			t.Errorf("/metrics names %q", name)
		}
	}
}

var seriesLineRE = regexp.MustCompile(`(?m)^(\w+\{[^}]*\}|\w+) ([0-9.e+-]+|NaN|[+-]Inf)$`)

// scrapeSeries reads a replica's /metrics as "name{labels}" → value.
func scrapeSeries(t *testing.T, metricsURL string) map[string]float64 {
	t.Helper()
	status, body := getBody(t, metricsURL+"/metrics")
	if status != http.StatusOK {
		t.Fatalf("/metrics = %d", status)
	}
	out := map[string]float64{}
	for _, m := range seriesLineRE.FindAllStringSubmatch(body, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		out[m[1]] = v
	}
	return out
}
