package compose

import (
	"context"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/mapstore"
)

// openMapping makes the live mapping: a fixed one when the options give it,
// else the store's current version, hot-reloaded until ctx is done.
func (b *Broker) openMapping(ctx context.Context, cfg *config.Config, opts Options, rec audit.Recorder) error {
	if opts.Mapping != nil {
		b.Mapping = mapstore.NewFixed(opts.Mapping)
		return nil
	}
	st := opts.MappingStore
	if st == nil {
		f, err := mapstore.OpenFile(ctx, cfg.MappingFile, mapstore.FileOptions{HistoryDir: cfg.MappingHistoryDir, Keys: cfg.SessionKeys, Log: opts.Log, Now: opts.Now})
		if err != nil {
			return fmt.Errorf("open mapping store: %w", err)
		}
		b.closers = append(b.closers, f)
		st = f
	}
	live, err := mapstore.NewLive(ctx, st, mapstore.LiveOptions{Name: mappingName(cfg), Log: opts.Log, Audit: rec, Metrics: b.Metrics, Now: opts.Now})
	if err != nil {
		return err
	}
	b.Mapping = live
	return nil
}

// newRegistry is the broker's own metrics registry (not the global one, so
// several brokers can run in one test process), with the Go runtime and
// process metrics every service exports.
func newRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

func claimPaths(cfg *config.Config) auth.ClaimPaths {
	return auth.ClaimPaths{Username: cfg.OIDC.UsernameClaim, Email: cfg.OIDC.EmailClaim, Groups: cfg.OIDC.GroupsClaim}
}
