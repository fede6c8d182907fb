package compose

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/auth"
)

// registerTokenCacheMetrics exports the verified-token cache's counts: how
// often a CLI token's signature check was saved, and how many are held.
func registerTokenCacheMetrics(reg prometheus.Registerer, t *auth.Tokens) {
	reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "secds_token_cache_hits_total",
			Help: "CLI token verifications answered from the cache of verified tokens (the time and audience checks still run).",
		}, func() float64 { return float64(t.CacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "secds_token_cache_misses_total",
			Help: "CLI token verifications that checked the signature.",
		}, func() float64 { return float64(t.CacheStats().Misses) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "secds_token_cache_entries",
			Help: "Verified CLI tokens held in the cache.",
		}, func() float64 { return float64(t.CacheStats().Size) }),
	)
}
