package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/mapstore"
)

// TestReadyzShowsCountsNotDetails: /readyz answers anyone, so it names no
// file, line or role; the log has the details.
func TestReadyzShowsCountsNotDetails(t *testing.T) {
	stale := &mapstore.StaleError{
		Serving: mapstore.Entry{Version: mapstore.Version{Number: 7}}, Latest: mapstore.Entry{Version: mapstore.Version{Number: 9}},
		Problems: abac.Problems{
			{File: "/etc/secds/mapping/teams.yaml", Line: 25, Column: 15, Message: `role_arn "arn:aws:iam::123456789012:role/secret-team" is not in account 210987654321`},
			{File: "/etc/secds/mapping/teams.yaml", Line: 31, Message: `group "acquisition-2027" is quoted here`},
			{File: "/etc/secds/mapping/teams.yaml", Line: 40, Message: "third"},
		},
	}
	for _, tc := range []struct {
		name      string
		err       error
		status    int
		ready     bool
		mapping   string
		notInBody []string
		inTheLog  []string
	}{
		{"ok", nil, http.StatusOK, true, "ok", nil, nil},
		{"degraded", stale, http.StatusOK, true, "degraded: 3 problems in the stored mapping version 9; serving version 7",
			[]string{"teams.yaml", "/etc/secds", "arn:aws", "secret-team", "acquisition-2027", "quoted"},
			[]string{"teams.yaml:25:15", "arn:aws:iam::123456789012:role/secret-team"}},
		{"unavailable", errorString("read /etc/secds/mapping/teams.yaml: permission denied"), http.StatusServiceUnavailable, false, "unavailable",
			[]string{"/etc/secds", "permission"}, []string{"read /etc/secds/mapping/teams.yaml: permission denied"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, "https://notebooks.example", func(c *Config) {
				c.Ready = func(context.Context) error { return tc.err }
			})
			w := ts.do(http.MethodGet, "/readyz", nil, nil)
			var body struct {
				Ready  bool              `json:"ready"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %s: %v", w.Code, w.Body, err)
			}
			if w.Code != tc.status || body.Ready != tc.ready || body.Checks["mapping"] != tc.mapping {
				t.Errorf("/readyz = %d %s, want %d ready=%v mapping %q", w.Code, w.Body, tc.status, tc.ready, tc.mapping)
			}
			for _, s := range tc.notInBody {
				if strings.Contains(w.Body.String(), s) {
					t.Errorf("/readyz shows %q: %s", s, w.Body)
				}
			}
			for _, s := range tc.inTheLog {
				if !strings.Contains(ts.logs.String(), s) {
					t.Errorf("the log lacks %q:\n%s", s, ts.logs)
				}
			}
			// A probe every few seconds logs the problem once.
			ts.do(http.MethodGet, "/readyz", nil, nil)
			if n := strings.Count(ts.logs.String(), `"check":"mapping"`); tc.err != nil && n != 1 {
				t.Errorf("two probes logged the problem %d times", n)
			}
		})
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
