package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/ratelimit"
)

// Config wires the HTTP layer.
type Config struct {
	Auth      Authenticator
	Broker    Broker
	Audit     audit.Recorder
	Log       *slog.Logger
	PublicURL *url.URL
	// TrustedProxies are the load balancers whose X-Forwarded-For is believed
	// for the client IP in audit events; with none, the peer address is used.
	TrustedProxies []*net.IPNet
	// Ready reports extra readiness problems (the mapping failed to load...).
	Ready func(context.Context) error
	// Limits are the request rate limits (config.DefaultLimits unless the
	// file sets them); required: a per_second of 0 turns one off.
	Limits *ratelimit.Limits
	// Tokens issues and verifies the CLI's broker tokens; nil turns the CLI
	// login off (the broker has no token keys).
	Tokens Tokens
	// Mapping is the live team mapping and its store, which the admin page
	// and API show and change; nil: no admin pages.
	Mapping LiveMapping
	// Claims are the claim paths sign-in reads, so that explain reads an ID
	// token's claims the same way.
	Claims auth.ClaimPaths
	// Revocations are the CLI token revocations; nil: tokens cannot be
	// revoked.
	Revocations Revocations
	// SharedCodes says every replica redeems the short CLI codes any one
	// shows (the shared store). Without it the code page also offers the
	// long, self-contained code, which any replica redeems.
	SharedCodes bool
	// Now is the clock for token ages and revocations; nil: time.Now.
	Now func() time.Time
	// Metrics is where the request latency histogram is registered; nil:
	// it is kept but not exported.
	Metrics prometheus.Registerer
	// AccessLogLevel is the level of the access log's line per request
	// (config log.access); zero is info.
	AccessLogLevel slog.Level
	// Tracing makes a span of every request (tracing.go); nil: none.
	Tracing trace.TracerProvider
	// TrustTraceparent continues an incoming W3C trace context instead of
	// only linking to it (config tracing.trust_traceparent).
	TrustTraceparent bool
}

// Server is the broker's HTTP surface.
type Server struct {
	cfg   Config
	log   *slog.Logger
	pages *template.Template
	echo  *echo.Echo
	// audiences records each route's audience as routes adds it:
	// "METHOD /path" to audience.
	audiences map[string]audience
	// readyLogged is the last problem /readyz logged, by check.
	readyLogged sync.Map
	// codeGuesses counts failed CLI code redemptions by address.
	codeGuesses *buckets
	metrics     *httpMetrics
}

// New builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Limits == nil {
		return nil, errors.New("server: no rate limits given (config.DefaultLimits are the broker's; rates of 0 turn them off)")
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Log, pages: pages, echo: echo.New(), audiences: map[string]audience{},
		codeGuesses: newBuckets(codeGuessRate, time.Now), metrics: newHTTPMetrics(cfg.Metrics)}
	if cfg.Now != nil {
		s.codeGuesses.now = cfg.Now
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if cfg.Tracing != nil {
		e.HTTPErrorHandler = s.tracedErrors(s.handleError)
		e.Use(s.traced)
	}
	e.IPExtractor = echo.ExtractIPDirect()
	if len(cfg.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	e.Use(s.metrics.middleware, s.requestID, s.accessLog, middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true,
		LogErrorFunc: func(c echo.Context, err error, _ []byte) error {
			// The stack stays out of the log line users could trigger at
			// will; the error and request ID are enough to reproduce.
			return fmt.Errorf("panic: %w", err)
		},
	}), s.securityHeaders, middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: "1M",
		// A history import is one request of up to maxImportRequest; its
		// handler bounds it, only admins reach it.
		Skipper: func(c echo.Context) bool { return c.Path() == adminMapping+"/import" },
	}))
	e.Use(s.limited(*cfg.Limits))

	s.routes()
	s.metrics.known(e)
	return s, nil
}

// ServeHTTP makes the Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

const ridKey = "secds.request_id"

// requestID gives every request a fresh ID. A client's X-Request-Id is not
// trusted: the audit trail's IDs must be the broker's own.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		c.Set(ridKey, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func requestID(c echo.Context) string {
	id, _ := c.Get(ridKey).(string)
	return id
}

// AccessLogMessage is the message of every access-log record, so a
// logger can send them somewhere of their own (the dev stack writes them to
// a file, leaving its terminal to the audit events).
const AccessLogMessage = "http"

// accessLog logs one line per request: the path without its query, because
// queries carry authorization codes and state.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		r := c.Request()
		attrs := []any{"request_id", requestID(c), "method", r.Method, "path", r.URL.Path,
			"status", c.Response().Status, "ms", time.Since(start).Milliseconds(), "client_ip", c.RealIP()}
		if sc := trace.SpanContextFromContext(r.Context()); sc.IsSampled() {
			// A traced request's line leads to its trace.
			attrs = append(attrs, "trace_id", sc.TraceID().String())
		}
		s.log.Log(r.Context(), s.cfg.AccessLogLevel, AccessLogMessage, attrs...)
		return nil
	}
}

// securityHeaders applies to every response: nothing the broker serves may be
// cached, framed, sniffed or leak a URL in a Referer to another site.
//
// The Referrer-Policy is same-origin rather than no-referrer: with
// no-referrer a browser sends "Origin: null" on the broker's own form posts,
// and "null" must count as foreign (fromOwnPages). Other sites still get no
// Referer. form-action 'self' keeps an injected form from posting anywhere
// else; a page whose form must lead elsewhere widens it (allowFormAction).
//
// HSTS follows the configured public URL, never the request: a client's
// X-Forwarded-Proto must not decide it (a forged "https" would pin a plain
// http dev broker's host, and a missing one would leave a real https
// deployment without it on the requests its proxy forwards as http).
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	hsts := s.cfg.PublicURL != nil && s.cfg.PublicURL.Scheme == "https"
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Pragma", "no-cache")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", csp("'self'"))
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

func csp(formAction string) string {
	return "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action " + formAction
}

// allowFormAction lets the page being rendered submit a form to, or be
// redirected after submission to, target's origin too (Chromium applies
// form-action to the redirects that follow a submission). target is a URL the
// handler has checked, such as the CLI's loopback redirect.
func allowFormAction(c echo.Context, target string) {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" || strings.ContainsAny(u.Host, " ;,'") {
		return
	}
	src := u.Scheme + "://" + u.Host
	if strings.HasPrefix(u.Host, "[") {
		// CSP host-sources cannot name an IPv6 literal ([::1]); the
		// scheme alone is the narrowest source that admits it.
		src = u.Scheme + ":"
	}
	c.Response().Header().Set("Content-Security-Policy", csp("'self' "+src))
}

// allowScript lets the page being rendered load the broker's own scripts
// (/static/*.js): only pages that enhance themselves (a copy button) do, and
// everything works without them.
func allowScript(c echo.Context) {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", strings.Replace(h.Get("Content-Security-Policy"), "default-src 'none';", "default-src 'none'; script-src 'self';", 1))
}

func (s *Server) meta(c echo.Context, via string) broker.RequestMeta {
	return broker.RequestMeta{ClientIP: c.RealIP(), RequestID: requestID(c), Via: via, TokenID: tokenID(c)}
}

func (s *Server) record(e audit.Event) {
	if err := s.cfg.Audit.Record(e); err != nil {
		s.log.Error("audit write failed", "type", e.Type, "request_id", e.RequestID, "err", err)
	}
}

// session returns the signed-in identity or auth.ErrNoSession.
func (s *Server) session(c echo.Context) (abac.Identity, error) {
	sess, err := s.browserSession(c)
	if err != nil {
		return abac.Identity{}, err
	}
	return sess.Identity, nil
}

const sessionKey = "secds.session"

type sessionResult struct {
	sess *auth.Session
	err  error
}

// browserSession opens the session cookie once per request; the rate
// limiter, the API guard and the handlers all ask for it.
func (s *Server) browserSession(c echo.Context) (*auth.Session, error) {
	if r, ok := c.Get(sessionKey).(sessionResult); ok {
		return r.sess, r.err
	}
	sess, err := s.cfg.Auth.Session(c.Request())
	if err == nil && !s.fresh(c, sess.Identity, "browser") {
		sess, err = nil, errSessionStale
	}
	c.Set(sessionKey, sessionResult{sess, err})
	return sess, err
}
