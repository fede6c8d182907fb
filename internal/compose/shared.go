package compose

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dynamostore"
	"github.com/secds/secds/internal/mapstore"
)

// shared is the state replicas share through DynamoDB (mapping_store:
// dynamodb): the mapping's versions, the token revocations and the spent
// login codes.
type shared struct {
	mapping     *dynamostore.Mapping
	revocations *dynamostore.Revocations
	codes       *dynamostore.Codes
	pending     *dynamostore.PendingCodes
}

// SeedAuthor is the history's author of a version the broker seeded from
// mapping_file into an empty table.
const SeedAuthor = "secds-broker"

// openShared opens the DynamoDB store: it waits up to
// mapping_store.start_timeout for the table to answer (a broker without its
// mapping has nothing to serve, so it then exits, and its supervisor starts
// it again), and seeds an empty table from mapping_file.
func openShared(ctx context.Context, cfg *config.Config, opts Options, awsCfg aws.Config, reg prometheus.Registerer) (*shared, error) {
	sc := cfg.MappingStore
	client := opts.DynamoDB
	if client == nil {
		client = dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
			o.Region = sc.Region
			if sc.Endpoint != "" {
				o.BaseEndpoint = aws.String(sc.Endpoint)
			}
		})
	}
	if err := waitForTable(ctx, client, sc, opts.Log); err != nil {
		return nil, err
	}
	m, err := dynamostore.NewMapping(client, dynamostore.MappingOptions{
		Table: sc.Table, Keys: cfg.SessionKeys, PollInterval: sc.PollInterval, Log: opts.Log, Now: opts.Now, Metrics: reg,
	})
	if err != nil {
		return nil, err
	}
	if err := seed(ctx, m, cfg, opts.Log); err != nil {
		return nil, err
	}
	if err := m.CheckHead(ctx); err != nil {
		return nil, fmt.Errorf("mapping store: %w", err)
	}
	revs, err := dynamostore.NewRevocations(ctx, client, dynamostore.RevocationOptions{
		// A cutoff older than the longest token (plus clock leeway)
		// refuses nothing any more.
		Table: sc.Table, MaxAge: cfg.Tokens.TTL + time.Minute, PollInterval: sc.PollInterval, Log: opts.Log, Now: opts.Now,
	})
	if err != nil {
		return nil, fmt.Errorf("open token revocations: %w", err)
	}
	codes, err := dynamostore.NewCodes(client, sc.Table)
	if err != nil {
		return nil, err
	}
	pending, err := dynamostore.NewPendingCodes(client, sc.Table, opts.Now)
	if err != nil {
		return nil, err
	}
	return &shared{mapping: m, revocations: revs, codes: codes, pending: pending}, nil
}

// waitForTable checks the table until it answers or start_timeout passes.
// A table that answers with a mistake (it does not exist, has the wrong
// keys, or refuses the broker) is reported at once: waiting will not fix it.
func waitForTable(ctx context.Context, c dynamostore.API, sc config.MappingStore, log *slog.Logger) error {
	deadline := time.Now().Add(sc.StartTimeout)
	for attempt := 1; ; attempt++ {
		err := dynamostore.CheckTable(ctx, c, sc.Table)
		if err == nil {
			if attempt > 1 {
				log.Info("the mapping store's DynamoDB table answers", "table", sc.Table, "attempts", attempt)
			}
			return nil
		}
		var permanent *dynamostore.ConfigError
		if errors.As(err, &permanent) {
			return fmt.Errorf("mapping store: %w", err)
		}
		wait := min(time.Duration(attempt)*time.Second, 5*time.Second)
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("mapping store: cannot use DynamoDB table %s in %s (tried for %s; the broker exits so its supervisor can start it again): %w",
				sc.Table, sc.Region, sc.StartTimeout, err)
		}
		log.Warn("waiting for the mapping store's DynamoDB table", "table", sc.Table, "region", sc.Region, "attempt", attempt, "retry_in", wait, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// seed writes mapping_file as version 1 when the table holds no mapping. The
// file must be valid: an empty table is never seeded with a mapping the
// broker would refuse to serve.
func seed(ctx context.Context, m *dynamostore.Mapping, cfg *config.Config, log *slog.Logger) error {
	if _, err := m.Get(ctx); !errors.Is(err, mapstore.ErrNotFound) {
		return err // nil: the table has a mapping already
	}
	if cfg.MappingFile == "" {
		return fmt.Errorf("mapping store: DynamoDB table %s holds no team mapping yet; set mapping_file to a mapping to seed it with", cfg.MappingStore.Table)
	}
	content, err := mapstore.ReadMappingFile(cfg.MappingFile)
	if err != nil {
		return fmt.Errorf("mapping store: seed the empty DynamoDB table %s: %w", cfg.MappingStore.Table, err)
	}
	if _, err := abac.Parse(cfg.MappingFile, content); err != nil {
		return fmt.Errorf("mapping store: the empty DynamoDB table %s is not seeded with %s, which is invalid:\n%w", cfg.MappingStore.Table, cfg.MappingFile, err)
	}
	wrote, err := m.Seed(ctx, content, mapstore.Change{Author: SeedAuthor, Reason: "seed from " + filepath.Base(cfg.MappingFile)})
	if err != nil {
		return fmt.Errorf("mapping store: seed DynamoDB table %s: %w", cfg.MappingStore.Table, err)
	}
	if wrote {
		log.Info("seeded the empty mapping store with the mapping file", "table", cfg.MappingStore.Table, "file", cfg.MappingFile)
	}
	return nil
}

// mappingName is the name problems in the stored mapping are reported
// against.
func mappingName(cfg *config.Config) string {
	if cfg.MappingStore.Shared() {
		if cfg.MappingFile != "" {
			return filepath.Base(cfg.MappingFile)
		}
		return "dynamodb:" + cfg.MappingStore.Table
	}
	return cfg.MappingFile
}
