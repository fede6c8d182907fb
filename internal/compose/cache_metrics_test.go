package compose_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/compose"
)

// TestCacheMetrics: /metrics says what the session and notebook-list
// caches saved, from the broker's own counts.
func TestCacheMetrics(t *testing.T) {
	awsCfg, _ := startEmulator(t)
	b, err := compose.Build(t.Context(), brokerConfig(t, 4), compose.Options{
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), AuditOut: io.Discard, AWS: &awsCfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	alice := abac.Identity{Subject: "dev-alice", Username: "alice", Email: "alice@example.com", Groups: []string{"ds-fraud"}}
	for range 3 {
		if _, err := b.Broker.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice",
			RequestMeta: broker.RequestMeta{ClientIP: "192.0.2.7", RequestID: "r1", Via: "api"}}); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]float64{}
	mfs, err := b.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			got[mf.GetName()] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	tags := float64(b.Broker.CacheStats().TagReads)
	for name, want := range map[string]float64{
		"secds_session_cache_hits_total":         2,
		"secds_session_cache_misses_total":       1,
		"secds_session_cache_entries":            1,
		"secds_discovery_cache_hits_total":       2,
		"secds_discovery_cache_misses_total":     1,
		"secds_discovery_listings_total":         1,
		"secds_discovery_listing_failures_total": 0,
		"secds_discovery_tags_shared_total":      0,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (exported: %v), want %v", name, v, ok, want)
		}
	}
	if tags < 6 || got["secds_discovery_tag_reads_total"] != tags {
		t.Errorf("secds_discovery_tag_reads_total = %v, want the dev account's notebooks (%v)", got["secds_discovery_tag_reads_total"], tags)
	}
}
