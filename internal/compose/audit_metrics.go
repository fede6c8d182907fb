package compose

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/secds/secds/internal/audit"
)

// countedRecorder counts every audit event as it is recorded: opens by
// decision and code, logins (via browser or api: a granted api login is a
// CLI token issued), mapping changes, token revocations. Counting here
// rather than at each caller means no event is missed and broker/ needs no
// metrics of its own.
type countedRecorder struct {
	next     audit.Recorder
	events   *prometheus.CounterVec
	failures *prometheus.CounterVec
}

// labelRE admits the constants the audit fields are set from (types,
// decisions, api codes, via); anything else becomes "other", so that a
// field filled from input by mistake can never grow the series without
// bound. Names, notebooks, reasons and IDs are never labels.
var labelRE = regexp.MustCompile(`^[a-z0-9_]{0,40}$`)

func boundedLabel(s string) string {
	if labelRE.MatchString(s) {
		return s
	}
	return "other"
}

func countAudit(next audit.Recorder, reg prometheus.Registerer) *countedRecorder {
	f := promauto.With(reg)
	r := &countedRecorder{
		next: next,
		events: f.NewCounterVec(prometheus.CounterOpts{
			Name: "secds_audit_events_total",
			Help: "Audit events recorded, by type (open, login, logout, mapping_change, admin, token, notebook_start, notebook_status), decision (granted, denied, failed, choose, waiting), code (the API error code; empty when granted) and via (browser, api, store, file). Opens: type=\"open\"; CLI tokens issued: type=\"login\",via=\"api\",decision=\"granted\".",
		}, []string{"type", "decision", "code", "via"}),
		failures: f.NewCounterVec(prometheus.CounterOpts{
			Name: "secds_audit_write_failures_total",
			Help: "Audit events that could not be written, by type. An open whose event cannot be written is refused.",
		}, []string{"type"}),
	}
	// The series an alert watches exist from the start, so rate() has data.
	for _, t := range []string{audit.TypeOpen, audit.TypeLogin, audit.TypeMappingChange} {
		r.failures.WithLabelValues(t)
	}
	for _, via := range []string{"browser", "api"} {
		r.events.WithLabelValues(audit.TypeOpen, audit.Granted, "", via)
		r.events.WithLabelValues(audit.TypeLogin, audit.Granted, "", via)
	}
	return r
}

// Record records e and counts it; a failed write is counted too, and its
// error returned as it was.
func (r *countedRecorder) Record(e audit.Event) error {
	typ := boundedLabel(e.Type)
	err := r.next.Record(e)
	if err != nil {
		r.failures.WithLabelValues(typ).Inc()
	}
	r.events.WithLabelValues(typ, boundedLabel(e.Decision), boundedLabel(e.Code), boundedLabel(e.Via)).Inc()
	return err
}
