package compose

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
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

// registerBrokerCacheMetrics exports what the broker's session and
// notebook-list caches saved: AssumeRole calls, notebook listings and
// ListTags reads avoided.
func registerBrokerCacheMetrics(reg prometheus.Registerer, b *broker.Broker) {
	counter := func(name, help string, v func(broker.CacheStats) int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v(b.CacheStats())) })
	}
	reg.MustRegister(
		counter("secds_session_cache_hits_total", "Team sessions reused from the cache (no AssumeRole).",
			func(s broker.CacheStats) int64 { return s.SessionHits }),
		counter("secds_session_cache_misses_total", "Team sessions not in the cache: an AssumeRole (shared by concurrent requests of one user and team).",
			func(s broker.CacheStats) int64 { return s.SessionMisses }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "secds_session_cache_entries", Help: "Team sessions held in the cache."},
			func() float64 { return float64(b.CacheStats().Sessions) }),
		counter("secds_discovery_cache_hits_total", "Opens and lists served from a team role's cached notebook list.",
			func(s broker.CacheStats) int64 { return s.ListHits }),
		counter("secds_discovery_cache_misses_total", "Opens and lists that waited for a notebook listing (none cached, or older than aws.discovery_ttl).",
			func(s broker.CacheStats) int64 { return s.ListWaits }),
		counter("secds_discovery_listings_total", "Notebook listings made (ListNotebookInstances and the tags), in the foreground or the background.",
			func(s broker.CacheStats) int64 { return s.Listings }),
		counter("secds_discovery_listing_failures_total", "Notebook listings that failed.",
			func(s broker.CacheStats) int64 { return s.ListingFailures }),
		counter("secds_discovery_tag_reads_total", "ListTags reads of a notebook's tags.",
			func(s broker.CacheStats) int64 { return s.TagReads }),
		counter("secds_discovery_tags_shared_total", "Notebooks whose tags a listing took from another team role's recent read instead of calling ListTags.",
			func(s broker.CacheStats) int64 { return s.TagsShared }),
	)
}
