package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/singleflight"
)

// Revocation items: one partition, one item per key (a subject or a
// username), few enough that a replica reads them all each poll interval.
const (
	revocationsPK   = "revocations"
	revocationKey   = "key#"
	attrCutoff      = "cutoff_unix_nano"
	defaultMaxStale = 30 * time.Second
)

// RevocationOptions configure Revocations.
type RevocationOptions struct {
	Table string // required
	// MaxAge is how long a cutoff matters: once it is older than the
	// longest token lifetime (plus clock leeway) every token it refuses has
	// expired anyway, and DynamoDB's Time to Live may remove it.
	MaxAge       time.Duration
	PollInterval time.Duration // default DefaultPollInterval
	// MaxStale is how old the replica's copy may get while the table cannot
	// be read; past it, Cutoff fails and the broker refuses CLI tokens
	// rather than miss a revocation. Default 30s.
	MaxStale time.Duration
	Log      *slog.Logger
	Now      func() time.Time
}

// Revocations keeps CLI token revocations in the table. Every replica
// re-reads them each poll interval, so one made on any replica holds on all
// within about that long (and at once on the replica that made it).
type Revocations struct {
	c    API
	opts RevocationOptions

	// reads makes the replica's callers share one read of the table when
	// their copy is stale: while DynamoDB is down, a burst of CLI requests
	// is one query at a time, not one each.
	reads singleflight.Group

	mu      sync.Mutex
	cutoffs map[string]time.Time
	readAt  time.Time // when cutoffs were last read whole
	lastErr error
}

// NewRevocations reads the revocations and keeps re-reading them until ctx
// is done. It fails when the first read does.
func NewRevocations(ctx context.Context, c API, opts RevocationOptions) (*Revocations, error) {
	if opts.Table == "" {
		return nil, errors.New("dynamodb revocation store: no table name")
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 13 * time.Hour
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.MaxStale <= 0 {
		opts.MaxStale = defaultMaxStale
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := &Revocations{c: c, opts: opts, cutoffs: map[string]time.Time{}}
	if err := r.refresh(ctx); err != nil {
		return nil, err
	}
	go r.poll(ctx)
	return r, nil
}

func (r *Revocations) poll(ctx context.Context) {
	failures := 0
	for {
		t := time.NewTimer(backoff(r.opts.PollInterval, failures, r.opts.MaxStale/3))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := r.refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			r.opts.Log.Warn("cannot read token revocations from DynamoDB", "table", r.opts.Table, "failures", failures, "throttled", Throttled(err), "err", err)
			continue
		}
		failures = 0
	}
}

// refresh reads every revocation.
func (r *Revocations) refresh(ctx context.Context) error {
	started := r.opts.Now()
	cutoffs := map[string]time.Time{}
	p := dynamodb.NewQueryPaginator(r.c, &dynamodb.QueryInput{
		TableName:                 aws.String(r.opts.Table),
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(revocationsPK)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			err = fmt.Errorf("read token revocations from DynamoDB table %s: %w", r.opts.Table, describe(err))
			r.mu.Lock()
			r.lastErr = err
			r.mu.Unlock()
			return err
		}
		for _, item := range page.Items {
			k, ok := strings.CutPrefix(getS(item, AttrSK), revocationKey)
			ns, okN := getN(item, attrCutoff)
			if !ok || !okN {
				continue
			}
			cutoffs[k] = time.Unix(0, ns).UTC()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	// Cutoffs only move later and are never deleted but by Time to Live
	// once they refuse nothing, so the later of the two copies is right: a
	// revocation this replica made while the read was under way stays.
	old := started.Add(-r.opts.MaxAge)
	for k, t := range r.cutoffs {
		if t.After(cutoffs[k]) && t.After(old) {
			cutoffs[k] = t
		}
	}
	r.cutoffs, r.readAt, r.lastErr = cutoffs, started, nil
	return nil
}

// Cutoff returns the time before which tokens for key are revoked; zero
// when none are. It fails when the table has not been read for MaxStale:
// a token is refused rather than a revocation missed.
func (r *Revocations) Cutoff(ctx context.Context, key string) (time.Time, error) {
	r.mu.Lock()
	stale := r.opts.Now().Sub(r.readAt) > r.opts.MaxStale
	r.mu.Unlock()
	if stale {
		_, err, _ := r.reads.Do("", func() (any, error) { return nil, r.refresh(ctx) })
		if err != nil {
			return time.Time{}, fmt.Errorf("token revocations not read for over %s: %w", r.opts.MaxStale, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cutoffs[key], nil
}

// Revoke refuses every token for key issued before before, on every
// replica. A later cutoff already stored stays: the update is conditional.
func (r *Revocations) Revoke(ctx context.Context, key string, before time.Time) error {
	if key == "" {
		return errors.New("revoke tokens: no key")
	}
	before = before.UTC()
	_, err := r.c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(r.opts.Table),
		Key:                       map[string]types.AttributeValue{AttrPK: s(revocationsPK), AttrSK: s(revocationKey + key)},
		UpdateExpression:          aws.String("SET #c = :c, #exp = :exp"),
		ConditionExpression:       aws.String("attribute_not_exists(#c) OR #c < :c"),
		ExpressionAttributeNames:  map[string]string{"#c": attrCutoff, "#exp": AttrExpires},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": n(before.UnixNano()), ":exp": n(before.Add(r.opts.MaxAge).Unix())},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("revoke tokens in DynamoDB table %s: %w", r.opts.Table, describe(err))
	}
	r.mu.Lock()
	if before.After(r.cutoffs[key]) {
		r.cutoffs[key] = before
	}
	r.mu.Unlock()
	return nil
}
