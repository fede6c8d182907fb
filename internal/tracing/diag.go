package tracing

import (
	"log/slog"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"
)

// errorLogEvery is the least time between two log lines about failed
// exports: a collector that is down fails every batch.
const errorLogEvery = time.Minute

// setDiagnostics sends the SDK's errors (a failed export) and its own
// diagnostic log to the broker's log, instead of the standard library's
// logger on stderr, which would break a JSON log. Both are the SDK's
// globals; the last broker built in a process sets them.
func setDiagnostics(log *slog.Logger) {
	h := &errorHandler{log: log, now: time.Now}
	otel.SetErrorHandler(h)
	otel.SetLogger(logr.New(&diagSink{log: log}))
}

// errorHandler logs the SDK's errors at warn, at most one line a minute,
// saying how many it left out since the last.
type errorHandler struct {
	log *slog.Logger
	now func() time.Time

	mu      sync.Mutex
	last    time.Time
	skipped int
}

func (h *errorHandler) Handle(err error) {
	h.mu.Lock()
	now := h.now()
	if !h.last.IsZero() && now.Sub(h.last) < errorLogEvery {
		h.skipped++
		h.mu.Unlock()
		return
	}
	skipped := h.skipped
	h.last, h.skipped = now, 0
	h.mu.Unlock()
	h.log.Warn("tracing: "+err.Error(), "errors_not_logged", skipped)
}

// diagSink is a logr sink for the SDK's diagnostic log. It writes the
// message and the error only, never the key/value pairs: the exporter's
// reading of OTEL_EXPORTER_OTLP_HEADERS logs a header's value among them.
// Only warnings and errors (the SDK's levels 0 and 1) are written.
type diagSink struct{ log *slog.Logger }

func (s *diagSink) Init(logr.RuntimeInfo)  {}
func (s *diagSink) Enabled(level int) bool { return level <= 1 }

func (s *diagSink) Info(level int, msg string, _ ...any) {
	if level <= 1 {
		s.log.Warn("tracing: " + msg)
	}
}

func (s *diagSink) Error(err error, msg string, _ ...any) {
	s.log.Warn("tracing: "+msg, "err", err)
}

func (s *diagSink) WithValues(...any) logr.LogSink { return s }

func (s *diagSink) WithName(string) logr.LogSink { return s }
