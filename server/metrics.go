package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsHandler serves GET /metrics for g. It belongs on a listener of its
// own (config metrics.listen), never on the public one: the metrics name
// mapping versions, error rates and the Go runtime, which a load balancer
// should not hand to the internet, and a scrape must not count against the
// rate limits or appear in the access log as user traffic.
func MetricsHandler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}
