// Package compose is the broker's composition root: it assembles a broker
// from its configuration (the mapping, the authenticator, the AWS clients,
// the broker and the HTTP server). The server binary and the dev stack build
// it the same way.
package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dynamostore"
	"github.com/secds/secds/internal/mapstore"
	"github.com/secds/secds/internal/tracing"
	"github.com/secds/secds/server"
)

// Options are what differs between a real deployment and the dev stack or a
// test; zero values mean the real thing.
type Options struct {
	Log        *slog.Logger
	AuditOut   io.Writer    // default os.Stdout
	AWS        *aws.Config  // default: the SDK's default chain
	HTTPClient *http.Client // for the identity provider; default: one with config.IdPTimeout
	Now        func() time.Time
	Mapping    *abac.Mapping // a fixed mapping, not editable; default: MappingStore
	// MappingStore keeps the mapping's versions; default: a file store on
	// cfg.MappingFile, hot-reloaded.
	MappingStore mapstore.Store
	// Revocations keeps CLI token revocations; default: the shared store's
	// (mapping_store: dynamodb), else a file in the mapping's history
	// directory (none with a fixed mapping or store).
	Revocations server.Revocations
	// DynamoDB is the client of the shared store; default: one made from
	// AWS and mapping_store's region and endpoint.
	DynamoDB dynamostore.API
}

// The concrete pieces satisfy what the HTTP layer declares it needs.
var (
	_ server.Authenticator = (*auth.Authenticator)(nil)
	_ server.Broker        = (*broker.Broker)(nil)
	_ server.Tokens        = (*auth.Tokens)(nil)
	_ server.LiveMapping   = (*mapstore.Live)(nil)
)

// Broker is an assembled broker.
type Broker struct {
	Handler http.Handler
	// MetricsHandler serves GET /metrics; it goes on the metrics listener
	// (config metrics.listen), not beside Handler.
	MetricsHandler http.Handler
	Broker         *broker.Broker
	Auth           *auth.Authenticator
	Tokens         *auth.Tokens // nil without token keys: no CLI login
	Mapping        *mapstore.Live
	Metrics        *prometheus.Registry
	// Tracing exports the request and AWS call spans; nil when the
	// configuration has no tracing block.
	Tracing *tracing.Provider
	closers []io.Closer
}

// Close releases files the broker holds open (the audit file) and flushes
// the spans not yet exported (bounded by config.TracingFlushTimeout). Call
// it once the HTTP servers have shut down.
func (b *Broker) Close() error {
	var errs []error
	for _, c := range b.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// LoadMapping reads and validates a mapping file, by the rules the broker
// reads it with (a regular file or a ConfigMap mount, no other link).
func LoadMapping(path string) (*abac.Mapping, error) {
	data, err := mapstore.ReadMappingFile(path)
	if err != nil {
		return nil, err
	}
	return abac.Parse(path, data)
}

// Build assembles a broker.
func Build(ctx context.Context, cfg *config.Config, opts Options) (_ *Broker, err error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: config.IdPTimeout}
	}
	b := &Broker{Metrics: newRegistry()}
	auditOut := opts.AuditOut
	if auditOut == nil {
		auditOut = os.Stdout
	}
	if cfg.Audit.File != "" {
		f, err := os.OpenFile(cfg.Audit.File, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open audit file: %w", err)
		}
		b.closers = append(b.closers, f)
		auditOut = io.MultiWriter(auditOut, f)
	}
	rec := countAudit(audit.NewWriter(auditOut, opts.Now), b.Metrics)

	awsCfg := opts.AWS
	if awsCfg == nil {
		var lopts []func(*awsconfig.LoadOptions) error
		if cfg.AWS.Region != "" {
			lopts = append(lopts, awsconfig.WithRegion(cfg.AWS.Region))
		}
		c, err := awsconfig.LoadDefaultConfig(ctx, lopts...)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("load AWS config: %w", err), b.Close())
		}
		awsCfg = &c
	}
	awsCfg = withAWSMetrics(awsCfg, b.Metrics)
	if awsCfg, err = b.openTracing(cfg, opts, awsCfg); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	defer func() {
		if err != nil {
			// A broker that did not start exports nothing.
			_ = b.Tracing.Close()
		}
	}()
	var sh *shared
	if cfg.MappingStore.Shared() && opts.Mapping == nil && opts.MappingStore == nil {
		if sh, err = openShared(ctx, cfg, opts, *awsCfg, b.Metrics); err != nil {
			return nil, errors.Join(err, b.Close())
		}
		opts.MappingStore = sh.mapping
		if opts.Revocations == nil {
			opts.Revocations = sh.revocations
		}
	}
	if err := b.openMapping(ctx, cfg, opts, rec); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	ready := b.Mapping.Ready
	if sh != nil {
		ready = func(ctx context.Context) error {
			if err := b.Mapping.Ready(ctx); err != nil {
				return err
			}
			return sh.mapping.Ready(ctx)
		}
	}

	a, err := auth.New(auth.Config{
		Issuer:       cfg.OIDC.Issuer,
		ClientID:     cfg.OIDC.ClientID,
		ClientSecret: cfg.ClientSecret,
		RedirectURL:  cfg.Public.String() + "/callback",
		Scopes:       cfg.OIDC.Scopes,
		Claims:       claimPaths(cfg),
		Keys:         cfg.SessionKeys,
		Secure:       cfg.Public.Scheme == "https",
		SessionTTL:   cfg.Session.TTL,
		LoginTTL:     config.LoginTTL,
		Leeway:       config.IDTokenLeeway,
		HTTPClient:   opts.HTTPClient,
		Now:          opts.Now,
	})
	if err != nil {
		return nil, err
	}
	b.Auth = a
	if len(cfg.TokenKeys) > 0 {
		tc := auth.TokenConfig{
			Issuer: cfg.Public.String(), Keys: cfg.TokenKeys, TTL: cfg.Tokens.TTL, Leeway: config.TokenLeeway, Codec: a.Codec(), Now: opts.Now,
		}
		if sh != nil {
			tc.Spent, tc.Pending = sh.codes, sh.pending
		} else if d := openCodeDir(cfg, opts); d != nil {
			tc.Spent, tc.Pending = d, d
		}
		if b.Tokens, err = auth.NewTokens(tc); err != nil {
			return nil, err
		}
		registerTokenCacheMetrics(b.Metrics, b.Tokens)
	} else {
		opts.Log.Warn("no token keys (tokens.keys_file or " + cfg.Tokens.KeysEnv + "): the secds CLI cannot log in to this broker")
	}
	revs, err := openRevocations(cfg, opts)
	if err != nil {
		return nil, errors.Join(err, b.Close())
	}
	// One pool for the broker's AWS calls, as deep as they may run at once.
	awsHTTP := awsHTTPClient(awsCfg.HTTPClient, cfg.AWS.MaxConcurrent)
	if b.Broker, err = broker.New(broker.Config{
		STS:              sts.NewFromConfig(*awsCfg, func(o *sts.Options) { o.HTTPClient = awsHTTP }),
		SageMaker:        sagemaker.NewFromConfig(*awsCfg, func(o *sagemaker.Options) { o.HTTPClient = awsHTTP }),
		Mapping:          b.Mapping.Mapping,
		Audit:            rec,
		Now:              opts.Now,
		DiscoveryTTL:     cfg.AWS.DiscoveryTTL,
		AWSTimeout:       cfg.AWS.Timeout,
		MaxConcurrentAWS: cfg.AWS.MaxConcurrent,
		QueueTimeout:     config.QueueTimeout,
		Issuer:           cfg.OIDC.Issuer,
		Pin:              brokerPin(cfg.AWS.PinURLs),
	}); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	// First to close: its background listings end before the audit file.
	b.closers = append([]io.Closer{b.Broker}, b.closers...)
	registerBrokerCacheMetrics(b.Metrics, b.Broker)
	sc := server.Config{
		Auth: a, Broker: b.Broker, Audit: rec, Log: opts.Log, PublicURL: cfg.Public, TrustedProxies: cfg.Proxies,
		Limits: cfg.Limits,
		Ready:  ready, Mapping: b.Mapping, Claims: claimPaths(cfg),
		Revocations: revs, Now: opts.Now, SharedCodes: sh != nil,
		Metrics: b.Metrics, AccessLogLevel: cfg.Log.AccessLevel(),
		TrustTraceparent: cfg.Tracing.TrustTraceparent,
	}
	if b.Tracing != nil {
		sc.Tracing = b.Tracing.TracerProvider()
	}
	if b.Tokens != nil {
		// Only when set: a nil *auth.Tokens in the interface would not
		// be nil, and the server would take CLI logins it cannot serve.
		sc.Tokens = b.Tokens
	}
	srv, err := server.New(sc)
	if err != nil {
		return nil, err
	}
	b.Handler = srv
	b.MetricsHandler = server.MetricsHandler(b.Metrics)
	return b, nil
}
