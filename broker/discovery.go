package broker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"
)

// Notebook is a notebook instance as the broker sees it.
type Notebook struct {
	Team   string            `json:"team"`
	Name   string            `json:"name"`
	Status string            `json:"status"`
	Tags   map[string]string `json:"-"`
}

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
type discovery struct {
	sm      SageMakerAPI
	ttl     time.Duration
	now     func() time.Time
	timeout time.Duration // bounds a background listing

	mu      sync.Mutex
	entries map[string]*discoveryEntry // by role ARN
	flight  singleflight.Group
}

type discoveryEntry struct {
	cat        *catalog
	listed     time.Time     // when the listing began: nothing in it is older
	took       time.Duration // how long the listing took
	refreshing bool          // a background listing is under way
	retryAt    time.Time     // after a failed background listing, not before
}

func newDiscovery(sm SageMakerAPI, ttl, timeout time.Duration, now func() time.Time) *discovery {
	return &discovery{sm: sm, ttl: ttl, timeout: timeout, now: now, entries: map[string]*discoveryEntry{}}
}

// catalog returns the role's notebooks. creds is a session of the role: any
// member's session sees the same list.
func (d *discovery) catalog(ctx context.Context, role string, creds aws.Credentials) (*catalog, error) {
	now := d.now()
	d.mu.Lock()
	if e := d.entries[role]; e != nil && now.Sub(e.listed) < d.ttl {
		if now.Sub(e.listed) >= d.ttl-d.refreshLead(e) && !e.refreshing && !now.Before(e.retryAt) {
			e.refreshing = true
			go d.refresh(role, creds)
		}
		c := e.cat
		d.mu.Unlock()
		return c, nil
	}
	d.mu.Unlock()
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

// refresh lists the role's notebooks in the background. On failure the old
// list keeps serving until its TTL runs out, and the next background try
// waits a quarter of the lead, so a throttled account is not asked again at
// every open.
func (d *discovery) refresh(role string, creds aws.Credentials) {
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	_, err, _ := d.flight.Do(role, func() (any, error) { return d.fetch(ctx, role, creds) })
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
	nbs, err := d.list(ctx, creds)
	if err != nil {
		return nil, err
	}
	c := newCatalog(nbs)
	d.mu.Lock()
	d.entries[role] = &discoveryEntry{cat: c, listed: started, took: d.now().Sub(started)}
	d.mu.Unlock()
	return c, nil
}

func (d *discovery) list(ctx context.Context, creds aws.Credentials) ([]Notebook, error) {
	var out []Notebook
	p := sagemaker.NewListNotebookInstancesPaginator(d.sm, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, as(creds))
		if err != nil {
			return nil, fmt.Errorf("list notebook instances: %w", err)
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
				tags, err := d.tags(gctx, creds, arn)
				nb.Tags = tags
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (d *discovery) tags(ctx context.Context, creds aws.Credentials, arn string) (map[string]string, error) {
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
