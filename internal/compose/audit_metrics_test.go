package compose

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/secds/secds/internal/audit"
)

type failingRecorder struct{ err error }

func (f *failingRecorder) Record(audit.Event) error { return f.err }

// TestAuditEventsAreCounted: each event is counted by its bounded fields,
// a failed write too, and a field that is not one of the constants never
// becomes a label of its own.
func TestAuditEventsAreCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	next := &failingRecorder{}
	r := countAudit(next, reg)
	events := []audit.Event{
		{Type: audit.TypeOpen, Decision: audit.Granted, Via: "api", Username: "alice", Notebook: "fraud-alice"},
		{Type: audit.TypeOpen, Decision: audit.Denied, Code: "notebook_not_found", Via: "browser", Reason: "no notebook of that name exists"},
		{Type: audit.TypeLogin, Decision: audit.Granted, Via: "api", TokenID: "jti-1"},
		{Type: audit.TypeLogin, Decision: audit.Denied, Code: "Alice's Code!", Via: "api"},
	}
	for _, e := range events {
		if err := r.Record(e); err != nil {
			t.Fatal(err)
		}
	}
	next.err = errors.New("disk full")
	if err := r.Record(audit.Event{Type: audit.TypeOpen, Decision: audit.Granted, Via: "api"}); !errors.Is(err, next.err) {
		t.Fatalf("the failed write returned %v", err)
	}
	for _, tt := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"open", "granted", "", "api"}, 2},
		{[]string{"open", "denied", "notebook_not_found", "browser"}, 1},
		{[]string{"login", "granted", "", "api"}, 1},
		{[]string{"login", "denied", "other", "api"}, 1},
		{[]string{"open", "granted", "", "browser"}, 0},
	} {
		if got := value(r.events.WithLabelValues(tt.labels...)); got != tt.want {
			t.Errorf("events%v = %v, want %v", tt.labels, got, tt.want)
		}
	}
	if got := value(r.failures.WithLabelValues("open")); got != 1 {
		t.Errorf("open write failures = %v, want 1", got)
	}
	if got := value(r.failures.WithLabelValues("login")); got != 0 {
		t.Errorf("login write failures = %v, want 0", got)
	}
}

// value reads a counter.
func value(c prometheus.Counter) float64 {
	var m dto.Metric
	_ = c.Write(&m)
	return m.GetCounter().GetValue()
}
