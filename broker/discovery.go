package broker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"golang.org/x/sync/singleflight"
)

// Notebook is a notebook instance as the broker sees it.
type Notebook struct {
	Team   string            `json:"team"`
	Name   string            `json:"name"`
	Status string            `json:"status"`
	Tags   map[string]string `json:"-"`
}

// discovery lists the notebook instances a team role can see, with their
// tags. SageMaker cannot filter the list by tag, so listing costs one
// ListTags per notebook; the result is kept for a short TTL per role, and
// concurrent opens of one team share a single listing.
type discovery struct {
	sm  SageMakerAPI
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]discoveryEntry // by role ARN
	flight  singleflight.Group
}

type discoveryEntry struct {
	notebooks []Notebook
	expires   time.Time
}

func (d *discovery) notebooks(ctx context.Context, role string, creds aws.Credentials) ([]Notebook, error) {
	d.mu.Lock()
	e, ok := d.entries[role]
	d.mu.Unlock()
	if ok && d.now().Before(e.expires) {
		return e.notebooks, nil
	}
	// Any member's session of the role sees the same list, so whoever asks
	// first lists for everyone waiting. The listing is detached from the
	// first caller's cancellation but keeps its deadline.
	v, err, _ := d.flight.Do(role, func() (any, error) {
		lctx, cancel := context.WithoutCancel(ctx), func() {}
		if dl, ok := ctx.Deadline(); ok {
			lctx, cancel = context.WithDeadline(lctx, dl)
		}
		defer cancel()
		nbs, err := d.list(lctx, creds)
		if err != nil {
			return nil, err
		}
		d.mu.Lock()
		d.entries[role] = discoveryEntry{notebooks: nbs, expires: d.now().Add(d.ttl)}
		d.mu.Unlock()
		return nbs, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]Notebook), nil
}

func (d *discovery) list(ctx context.Context, creds aws.Credentials) ([]Notebook, error) {
	var out []Notebook
	p := sagemaker.NewListNotebookInstancesPaginator(d.sm, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx, as(creds))
		if err != nil {
			return nil, fmt.Errorf("list notebook instances: %w", err)
		}
		for _, s := range page.NotebookInstances {
			tags, err := d.tags(ctx, creds, aws.ToString(s.NotebookInstanceArn))
			if err != nil {
				return nil, err
			}
			out = append(out, Notebook{Name: aws.ToString(s.NotebookInstanceName), Status: string(s.NotebookInstanceStatus), Tags: tags})
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

// forget drops a role's cached list, after a notebook was seen in a state the
// cache did not know.
func (d *discovery) forget(role string) {
	d.mu.Lock()
	delete(d.entries, role)
	d.mu.Unlock()
}
