package broker

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/secds/secds/internal/api"
)

// Notebook is a notebook instance as the broker sees it.
type Notebook struct {
	Team   string            `json:"team"`
	Name   string            `json:"name"`
	Status string            `json:"status"`
	Tags   map[string]string `json:"-"`
	// Compliance is the notebook against its team's require block, in
	// lists; nil when the team has none (or in a chooser).
	Compliance *Compliance `json:"compliance,omitempty"`
}

// Compliance says whether a notebook meets its team's requirements (the
// wire type: api.Compliance).
type Compliance = api.Compliance

// listTagsAtOnce bounds the ListTags calls of one listing: enough that a
// thousand notebooks list in a fraction of the time one by one takes, few
// enough to stay well inside SageMaker's request rate.
const listTagsAtOnce = 8

// discovery lists the notebook instances a team role can see, with their
// tags. SageMaker cannot filter the list by tag, so listing costs one
// ListTags per notebook; the result is kept for a TTL per role as an indexed
// catalog, and concurrent opens of one team share a single listing.
//
// Only the first listing of a role (or one after the list went unused for a
// whole TTL) makes an open wait. Near the end of a list's TTL (refreshLead
// before it), the open that sees it starts a new listing in the background
// and is served from the old one, so under steady use no open waits for a
// relisting, and no list older than the TTL is ever used.
//
// A notebook's tags are the same whichever team role reads them, so the
// roles share them: a listing reuses tags another role read less than half
// a TTL ago instead of calling ListTags again, and the catalog it makes
// counts as old as the oldest tags in it. With T teams on one account of N
// notebooks that is about N ListTags calls per half TTL instead of T × N
// per TTL. (Each role still lists the notebooks itself, so a role sees only
// what it may list, and the team role's own IAM policy still judges the
// presign on the notebook's tags as they are then.)
type discovery struct {
	sm      SageMakerAPI
	ttl     time.Duration
	now     func() time.Time
	timeout time.Duration // bounds a background listing
	slots   chan struct{} // the broker's AWS slots: a background listing takes one too

	// bg is cancelled by close, which then waits for the background
	// listings under way.
	bg     context.Context
	stopBG context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	entries map[string]*discoveryEntry // by role ARN
	tagsOf  map[string]taggedAt        // by notebook ARN, shared by the roles
	flight  singleflight.Group         // one listing per role at a time
	tagsFly singleflight.Group         // one ListTags per notebook at a time

	stats discoveryCounters
}

type discoveryEntry struct {
	cat        *catalog
	listed     time.Time     // nothing in the catalog is older
	took       time.Duration // how long the listing took
	refreshing bool          // a background listing is under way
	retryAt    time.Time     // after a failed background listing, not before
}

// taggedAt is a notebook's tags and when ListTags began reading them.
type taggedAt struct {
	tags map[string]string // never changed once stored
	at   time.Time
}

// discoveryCounters count what the notebook lists cost and saved, for
// /metrics (DiscoveryStats).
type discoveryCounters struct {
	hits, waits, listings, failures, tagCalls, tagsShared atomic.Int64
}

func newDiscovery(sm SageMakerAPI, ttl, timeout time.Duration, now func() time.Time, slots chan struct{}) *discovery {
	bg, stop := context.WithCancel(context.Background())
	return &discovery{sm: sm, ttl: ttl, timeout: timeout, now: now, slots: slots, bg: bg, stopBG: stop,
		entries: map[string]*discoveryEntry{}, tagsOf: map[string]taggedAt{}}
}

// close stops the background listings and waits for them to end.
func (d *discovery) close() {
	d.stopBG()
	d.wg.Wait()
}

// catalog returns the role's notebooks. creds is a session of the role: any
// member's session sees the same list.
func (d *discovery) catalog(ctx context.Context, role string, creds aws.Credentials) (*catalog, error) {
	now := d.now()
	d.mu.Lock()
	if e := d.entries[role]; e != nil && now.Sub(e.listed) < d.ttl {
		if now.Sub(e.listed) >= d.ttl-d.refreshLead(e) && !e.refreshing && !now.Before(e.retryAt) && d.bg.Err() == nil {
			e.refreshing = true
			d.wg.Add(1)
			go d.refresh(role, creds)
		}
		c := e.cat
		d.mu.Unlock()
		d.stats.hits.Add(1)
		return c, nil
	}
	d.mu.Unlock()
	d.stats.waits.Add(1)
	// Whoever asks first lists for everyone waiting, joining a background
	// listing if one is under way. The listing is detached from the first
	// caller's cancellation but keeps its deadline.
	v, err, _ := d.flight.Do(role, func() (any, error) {
		lctx, cancel := context.WithoutCancel(ctx), func() {}
		if dl, ok := ctx.Deadline(); ok {
			lctx, cancel = context.WithDeadline(lctx, dl)
		}
		defer cancel()
		return d.fetch(lctx, role, creds)
	})
	if err != nil {
		return nil, err
	}
	return v.(*catalog), nil
}

// refreshLead is how long before a list's TTL ends its background
// relisting starts: four times what the last listing took, so that it is
// in before the old list expires even if it runs slower, but at least a
// tenth of the TTL and at most half of it. Starting later costs fewer
// listings; each listing is a ListTags per notebook.
func (d *discovery) refreshLead(e *discoveryEntry) time.Duration {
	return min(max(4*e.took, d.ttl/10), d.ttl/2)
}

// refresh lists the role's notebooks in the background. It takes one of
// the broker's AWS slots like an open, so background work never adds to
// the bound on concurrent AWS work, and it ends when the broker closes. On
// failure the old list keeps serving until its TTL runs out, and the next
// background try waits a quarter of the lead, so a throttled account is not
// asked again at every open.
func (d *discovery) refresh(role string, creds aws.Credentials) {
	defer d.wg.Done()
	ctx, cancel := context.WithTimeout(d.bg, d.timeout)
	defer cancel()
	err := ctx.Err()
	select {
	case d.slots <- struct{}{}:
		_, err, _ = d.flight.Do(role, func() (any, error) { return d.fetch(ctx, role, creds) })
		<-d.slots
	case <-ctx.Done():
		err = ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e := d.entries[role]; e != nil && e.refreshing {
		e.refreshing = false
		if err != nil {
			e.retryAt = d.now().Add(d.refreshLead(e) / 4)
		}
	}
}

// fetch lists and indexes the role's notebooks and keeps the catalog.
func (d *discovery) fetch(ctx context.Context, role string, creds aws.Credentials) (*catalog, error) {
	started := d.now()
	d.stats.listings.Add(1)
	nbs, oldest, err := d.list(ctx, creds, started)
	if err != nil {
		d.stats.failures.Add(1)
		return nil, err
	}
	c := newCatalog(nbs)
	d.mu.Lock()
	d.entries[role] = &discoveryEntry{cat: c, listed: oldest, took: d.now().Sub(started)}
	d.forgetOldTags()
	d.mu.Unlock()
	return c, nil
}

// forgetOldTags drops tags no listing may reuse any more. d.mu is held.
func (d *discovery) forgetOldTags() {
	now := d.now()
	for arn, t := range d.tagsOf {
		if now.Sub(t.at) >= d.ttl/2 {
			delete(d.tagsOf, arn)
		}
	}
}

// list returns the notebooks creds may list, each with its tags, and the
// time the oldest of those tags was read (started or earlier).
func (d *discovery) list(ctx context.Context, creds aws.Credentials, started time.Time) ([]Notebook, time.Time, error) {
	var out []Notebook
	oldest := started
	var mu sync.Mutex // guards oldest
	p := sagemaker.NewListNotebookInstancesPaginator(d.sm, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, as(creds))
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("list notebook instances: %w", err)
		}
		// Each notebook's tags go into its own slot, so out keeps
		// SageMaker's order; out grows only between pages, while no
		// ListTags is running.
		base := len(out)
		for _, s := range page.NotebookInstances {
			out = append(out, Notebook{Name: aws.ToString(s.NotebookInstanceName), Status: string(s.NotebookInstanceStatus)})
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(listTagsAtOnce)
		for i, s := range page.NotebookInstances {
			nb, arn := &out[base+i], aws.ToString(s.NotebookInstanceArn)
			g.Go(func() error {
				t, err := d.sharedTags(gctx, creds, arn)
				nb.Tags = t.tags
				mu.Lock()
				if t.at.Before(oldest) {
					oldest = t.at
				}
				mu.Unlock()
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, time.Time{}, err
		}
	}
	return out, oldest, nil
}

// sharedTags returns a notebook's tags: those another listing read less
// than half a TTL ago, or else a fresh ListTags, one at a time per
// notebook across the roles. A role that waited for another role's
// ListTags and saw it fail asks with its own session.
func (d *discovery) sharedTags(ctx context.Context, creds aws.Credentials, arn string) (taggedAt, error) {
	read := func() (any, error) {
		at := d.now()
		tags, err := d.tags(ctx, creds, arn)
		if err != nil {
			return taggedAt{}, err
		}
		t := taggedAt{tags: tags, at: at}
		d.mu.Lock()
		if old, ok := d.tagsOf[arn]; !ok || old.at.Before(at) {
			d.tagsOf[arn] = t
		}
		d.mu.Unlock()
		return t, nil
	}
	d.mu.Lock()
	t, ok := d.tagsOf[arn]
	d.mu.Unlock()
	if ok && d.now().Sub(t.at) < d.ttl/2 {
		d.stats.tagsShared.Add(1)
		return t, nil
	}
	v, err, shared := d.tagsFly.Do(arn, read)
	if err != nil && shared {
		v, err = read()
	}
	if err != nil {
		return taggedAt{}, err
	}
	return v.(taggedAt), nil
}

func (d *discovery) tags(ctx context.Context, creds aws.Credentials, arn string) (map[string]string, error) {
	d.stats.tagCalls.Add(1)
	tags := map[string]string{}
	p := sagemaker.NewListTagsPaginator(d.sm, &sagemaker.ListTagsInput{ResourceArn: aws.String(arn)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, as(creds))
		if err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", arn, err)
		}
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return tags, nil
}

// observed records a notebook's status as SageMaker just described it,
// when the cached list said otherwise. The list is corrected in place of a
// relisting, and the next open refreshes the rest in the background: the
// open path asks SageMaker again whenever the list says a notebook cannot
// be opened, or when the presign is refused, so a stale list costs a call,
// never a wrong answer.
func (d *discovery) observed(role, name, status string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e := d.entries[role]
	if e == nil {
		return
	}
	c := e.cat.withStatus(name, status)
	if c == e.cat {
		return
	}
	ne := *e
	ne.cat = c
	// Another notebook may have changed too: have the next open relist
	// (in the background) unless one is already under way.
	if age := d.ttl - d.refreshLead(e); d.now().Sub(ne.listed) < age {
		ne.listed = d.now().Add(-age)
	}
	d.entries[role] = &ne
}
