package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/mapstore"
)

// readiness is what the broker knows about its own health. /readyz shows
// its summary to anyone (a load balancer asks unauthenticated); the details
// (the provider's error, the mapping's problems with their file, lines and
// quoted text, which name role ARNs and groups) go to the log and to admins
// through GET /api/v1/admin/readiness.
type readiness struct {
	ready bool
	// checks are the public summary: "ok", "unavailable", or "degraded:"
	// with counts and versions only.
	checks map[string]string
	idpErr error
	mapErr error
	stale  *mapstore.StaleError
}

// checkReadiness says whether the broker can serve: a mapping is loaded. A
// provider that cannot be reached is reported but does not make the broker
// unready: existing sessions and CLI tokens keep working without it, and
// taking every replica out of the load balancer would end them too.
func (s *Server) checkReadiness(ctx context.Context) readiness {
	r := readiness{ready: true, checks: map[string]string{"identity_provider": "ok"}}
	if r.idpErr = s.cfg.Auth.Ready(ctx); r.idpErr != nil {
		r.checks["identity_provider"] = "unavailable"
	}
	if s.cfg.Ready == nil {
		return r
	}
	r.mapErr = s.cfg.Ready(ctx)
	switch {
	case r.mapErr == nil:
		r.checks["mapping"] = "ok"
	case errors.As(r.mapErr, &r.stale):
		r.checks["mapping"] = fmt.Sprintf("degraded: %d problems in the stored mapping version %d; serving version %d",
			len(r.stale.Problems), r.stale.Latest.Number, r.stale.Serving.Number)
	case degraded(r.mapErr):
		r.checks["mapping"] = "degraded"
	default:
		r.checks["mapping"], r.ready = "unavailable", false
	}
	return r
}

// readyz is the load balancer's probe: 200 while the broker can serve, 503
// when not, with a summary that names no file, role or group. An operator
// reads the details in the log, an admin in /api/v1/admin/readiness.
func (s *Server) readyz(c echo.Context) error {
	r := s.checkReadiness(c.Request().Context())
	for name, err := range map[string]error{"identity_provider": r.idpErr, "mapping": r.mapErr} {
		// Probes come every few seconds: log a problem when it changes,
		// not at every probe.
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if prev, _ := s.readyLogged.Swap(name, msg); prev != msg && msg != "" {
			s.log.Warn("readiness check failed", "request_id", requestID(c), "check", name, "summary", r.checks[name], "err", msg)
		}
	}
	status := http.StatusOK
	if !r.ready {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, map[string]any{"ready": r.ready, "checks": r.checks})
}

// readinessDetail is GET /api/v1/admin/readiness: /readyz with its details,
// for admins.
type readinessDetail struct {
	Ready  bool              `json:"ready"`
	Checks map[string]string `json:"checks"`
	// Errors are the failed checks' causes, by check.
	Errors  map[string]string `json:"errors,omitempty"`
	Mapping *mappingHealth    `json:"mapping,omitempty"`
}

type mappingHealth struct {
	Serving  int64                `json:"serving"`
	Latest   int64                `json:"latest"`
	Valid    bool                 `json:"valid"`
	Problems []api.MappingProblem `json:"problems"` // why latest is not served
}

func (s *Server) apiReadiness(c echo.Context) error {
	live := s.cfg.Mapping
	r := s.checkReadiness(c.Request().Context())
	d := readinessDetail{Ready: r.ready, Checks: r.checks, Errors: map[string]string{}}
	for name, err := range map[string]error{"identity_provider": r.idpErr, "mapping": r.mapErr} {
		if err != nil {
			d.Errors[name] = err.Error()
		}
	}
	st := live.State()
	d.Mapping = &mappingHealth{Serving: st.Serving.Number, Latest: st.Latest.Number, Valid: st.Valid(), Problems: mappingProblems(st.Problems)}
	return c.JSON(http.StatusOK, d)
}
