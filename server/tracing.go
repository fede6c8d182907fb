package server

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/secds/secds/internal/api"
)

// The attributes of a request's span: OpenTelemetry's HTTP names and the
// broker's own under secds.*. Nothing of the request a client chose is
// among them but its method: no path (a route template instead), query,
// header, cookie, token, user or notebook.
const (
	attrHTTPMethod = attribute.Key("http.request.method")
	attrHTTPRoute  = attribute.Key("http.route")
	attrHTTPStatus = attribute.Key("http.response.status_code")
	attrErrorType  = attribute.Key("error.type")
	// attrRequestID is the broker's request ID, the one its access log,
	// audit event and error answer carry.
	attrRequestID = attribute.Key("secds.request_id")
	// attrErrorCode and attrErrorKind are a refusal's API error code
	// (not_your_notebook, aws_throttled...) and its kind (forbidden,
	// unavailable...).
	attrErrorCode = attribute.Key("secds.error.code")
	attrErrorKind = attribute.Key("secds.error.kind")
	// attrParentIgnored marks a request whose valid traceparent was not
	// trusted: its span is a root with a link to the client's context.
	attrParentIgnored = attribute.Key("secds.traceparent_ignored")
)

// tracerScope is the instrumentation scope of the server's spans.
const tracerScope = "github.com/secds/secds/server"

// untraced routes make no span: the probes (a kubelet's every few
// seconds) and static files.
var untraced = map[string]bool{"/healthz": true, "/readyz": true, "/static/*": true}

// traced starts a server span for every request but the untraced routes,
// named by its method and route template ("POST /api/v1/open"; the method
// alone when no route matched), and puts it in the request's context,
// where the broker and its AWS calls find it. It runs first, so the span
// covers every other middleware.
//
// An incoming W3C traceparent is not trusted unless
// Config.TrustTraceparent: a client could otherwise choose the trace ID and
// force sampling, and so the collector's load. Untrusted, the request
// starts a trace of its own, sampled by the broker's ratio, with a link to
// the incoming context (its IDs and flags only, not its tracestate), which
// a collector can still follow.
func (s *Server) traced(next echo.HandlerFunc) echo.HandlerFunc {
	tracer := s.cfg.Tracing.Tracer(tracerScope)
	prop := propagation.TraceContext{}
	return func(c echo.Context) error {
		route := c.Path()
		if untraced[route] {
			return next(c)
		}
		r := c.Request()
		method := boundedMethod(r.Method)
		if !s.metrics.routes[r.Method+" "+route] && !s.metrics.routes[echo.RouteNotFound+" "+route] {
			route = ""
		}
		name := method
		if method == "other" {
			name = "HTTP"
		}
		attrs := []attribute.KeyValue{attrHTTPMethod.String(method)}
		if route != "" {
			name += " " + route
			attrs = append(attrs, attrHTTPRoute.String(route))
		}
		opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer)}
		ctx := r.Context()
		var remote trace.SpanContext
		if r.Header.Get("traceparent") != "" {
			remote = trace.SpanContextFromContext(prop.Extract(ctx, propagation.HeaderCarrier(r.Header)))
		}
		switch {
		case !remote.IsValid():
			opts = append(opts, trace.WithNewRoot())
		case s.cfg.TrustTraceparent:
			ctx = trace.ContextWithRemoteSpanContext(ctx, remote)
		default:
			link := trace.NewSpanContext(trace.SpanContextConfig{TraceID: remote.TraceID(), SpanID: remote.SpanID(), TraceFlags: remote.TraceFlags(), Remote: true})
			opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{SpanContext: link}))
			attrs = append(attrs, attrParentIgnored.Bool(true))
		}
		ctx, span := tracer.Start(ctx, name, append(opts, trace.WithAttributes(attrs...))...)
		defer span.End()
		if !span.IsRecording() {
			return next(c)
		}
		c.SetRequest(r.WithContext(ctx))
		err := next(c)
		status := c.Response().Status
		span.SetAttributes(attrHTTPStatus.Int(status), attrRequestID.String(requestID(c)))
		if status >= http.StatusInternalServerError {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		return err
	}
}

// tracedErrors wraps the error handler: a refusal marks the request's span
// with its API error code and kind, never its message (which may name a
// notebook or a person). Only a 5xx is the span's error, as OpenTelemetry
// has it for servers: a 403 is the broker doing its job.
func (s *Server) tracedErrors(h echo.HTTPErrorHandler) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if span := trace.SpanFromContext(c.Request().Context()); span.IsRecording() && !c.Response().Committed {
			p := toProblem(err)
			span.SetAttributes(attrErrorCode.String(string(p.Code)), attrErrorKind.String(kindOf(p.Status)), attrErrorType.String(string(p.Code)))
		}
		h(err, c)
	}
}

// kindOf names a refusal's kind by its status, which each api.Kind has
// one of (echo's own 404, 405 and 413 included).
func kindOf(status int) string {
	if name, ok := kindNames[status]; ok {
		return name
	}
	return "status_" + strconv.Itoa(status)
}

var kindNames = func() map[int]string {
	m := map[int]string{}
	for k, name := range map[api.Kind]string{
		api.KindInternal:             "internal",
		api.KindBadRequest:           "bad_request",
		api.KindUnauthenticated:      "unauthenticated",
		api.KindForbidden:            "forbidden",
		api.KindNotFound:             "not_found",
		api.KindConflict:             "conflict",
		api.KindPreconditionFailed:   "precondition_failed",
		api.KindTooLarge:             "too_large",
		api.KindInvalid:              "invalid",
		api.KindPreconditionRequired: "precondition_required",
		api.KindThrottled:            "throttled",
		api.KindNotConfigured:        "not_configured",
		api.KindUnavailable:          "unavailable",
	} {
		m[k.Status()] = name
	}
	return m
}()
