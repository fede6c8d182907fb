package mapstore

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Reload results, the values of secds_mapping_reloads_total's label.
const (
	resultOK      = "ok"
	resultInvalid = "invalid"
)

type metrics struct {
	valid   prometheus.Gauge
	version prometheus.Gauge
	reloads *prometheus.CounterVec
}

// newMetrics registers the mapping's metrics with reg; nil keeps them
// unexported (tests, tools).
func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	m := &metrics{
		valid: f.NewGauge(prometheus.GaugeOpts{
			Name: "secds_mapping_valid",
			Help: "1 when the newest stored team mapping is valid and served; 0 while the broker serves an older one because the newest is invalid.",
		}),
		version: f.NewGauge(prometheus.GaugeOpts{
			Name: "secds_mapping_version",
			Help: "The version number of the team mapping being served.",
		}),
		reloads: f.NewCounterVec(prometheus.CounterOpts{
			Name: "secds_mapping_reloads_total",
			Help: "New team mapping versions seen, by result: ok (now served) or invalid (refused; the previous one stays).",
		}, []string{"result"}),
	}
	// Both series exist from the start, so a rate() alert has data.
	m.reloads.WithLabelValues(resultOK)
	m.reloads.WithLabelValues(resultInvalid)
	return m
}
