package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// unmatchedRoute labels requests no route answers (404 and 405 from the
// router): their paths are the client's to choose, so never a label.
const unmatchedRoute = "unmatched"

// httpMetrics times every request by route template (echo's c.Path(), such
// as /open/:notebook), method and status class: a bounded set, whatever
// the clients send.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	routes   map[string]bool // "METHOD path" of every route, set once routes are added
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	return &httpMetrics{duration: promauto.With(reg).NewHistogramVec(prometheus.HistogramOpts{
		Name:    "secds_http_request_duration_seconds",
		Help:    "HTTP requests to the broker by route template, method and status class (2xx, 3xx, 4xx, 5xx); route is \"unmatched\" for requests no route answers.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "status"})}
}

// known records the routes e serves; call it once they are all added.
func (m *httpMetrics) known(e *echo.Echo) {
	m.routes = map[string]bool{}
	for _, r := range e.Routes() {
		m.routes[r.Method+" "+r.Path] = true
	}
}

// middleware times the request; it runs outside the access log, which has
// already rendered any error, so the status is the one sent.
func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		method := c.Request().Method
		route := c.Path()
		if !m.routes[method+" "+route] && !m.routes[echo.RouteNotFound+" "+route] {
			route = unmatchedRoute
		}
		m.duration.WithLabelValues(route, boundedMethod(method), statusClass(c.Response().Status)).Observe(time.Since(start).Seconds())
		return err
	}
}

func boundedMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}
