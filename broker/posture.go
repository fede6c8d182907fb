package broker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// postureTTL is how long a notebook's description is reused for posture
// checks: a change to the notebook (a new subnet, root access turned on)
// counts from the first open after it.
const postureTTL = time.Minute

// maxPostureEntries bounds the description cache; past it, it starts over.
const maxPostureEntries = 10_000

// postureAuditCode marks a granted open whose notebook missed a requirement
// in warn mode, for the audit trail and its metric.
const postureAuditCode = "posture_warning"

// postureCache keeps notebooks' descriptions for posture checks, by name
// (one account: a notebook is the same whichever role describes it).
type postureCache struct {
	mu      sync.Mutex
	entries map[string]postureEntry
}

type postureEntry struct {
	facts abac.NotebookFacts
	at    time.Time
}

// checkPosture holds nb against its team's require block before it is
// presigned. In enforce mode a notebook that misses a requirement is
// refused with every unmet one in plain words; in warn mode it is opened.
// Either way the audit event names the requirements and the mode.
func (b *Broker) checkPosture(ctx context.Context, m *abac.Mapping, nb Notebook, t teamSession, ev *audit.Event) error {
	p := t.grant.Posture
	if p == nil || !p.NotebookRequirements {
		return nil
	}
	facts, err := b.notebookFacts(ctx, nb, t)
	if err != nil {
		return err
	}
	return postureVerdict(m, p, "Notebook "+nb.Name, p.CheckNotebook(facts), ev)
}

// postureVerdict applies what a notebook or Studio domain (what, named for
// the message) misses: nothing when nothing; else the audit event names the
// requirements and the mode, and in enforce mode the open is refused.
func postureVerdict(m *abac.Mapping, p *abac.Posture, what string, unmet []abac.Unmet, ev *audit.Event) error {
	if len(unmet) == 0 {
		return nil
	}
	ev.PostureMode = p.Mode
	for _, u := range unmet {
		ev.Unmet = append(ev.Unmet, u.String())
	}
	if !p.Enforced() {
		ev.Code, ev.Reason = postureAuditCode, "posture"
		return nil
	}
	return postureRefused(m, what, unmet)
}

// postureRefusal is an enforce-mode refusal; its audit reason is "posture".
type postureRefusal struct{ e *api.Error }

func (p *postureRefusal) Error() string { return p.e.Error() }
func (p *postureRefusal) Unwrap() error { return p.e }

// postureRefused is the enforce-mode refusal of what, listing the unmet
// requirements, each in plain words.
func postureRefused(m *abac.Mapping, what string, unmet []abac.Unmet) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s does not meet your team's security requirements, so it cannot be opened:", what)
	for i, u := range unmet {
		fmt.Fprintf(&b, " (%d) %s.", i+1, u.Message)
	}
	fmt.Fprintf(&b, " If it should be allowed, tell %s.", SupportContact(m))
	return &postureRefusal{e: &api.Error{Kind: api.KindForbidden, Code: api.CodeNotebookNoncompliant, Message: b.String()}}
}

// notebookCompliance is a notebook against p from its description, or
// unknown when it could not be described (err).
func notebookCompliance(p *abac.Posture, facts abac.NotebookFacts, err error) *Compliance {
	c := &Compliance{Mode: p.Mode}
	if err != nil {
		c.Unknown = api.As(err).Message
		return c
	}
	c.Unmet = p.CheckNotebook(facts)
	c.Compliant = len(c.Unmet) == 0
	return c
}

// notebookFacts describes nb, or reuses a description younger than
// postureTTL.
func (b *Broker) notebookFacts(ctx context.Context, nb Notebook, t teamSession) (abac.NotebookFacts, error) {
	c := &b.posture
	now := b.now()
	c.mu.Lock()
	if e, ok := c.entries[nb.Name]; ok && now.Sub(e.at) < postureTTL {
		c.mu.Unlock()
		return e.facts, nil
	}
	c.mu.Unlock()
	out, err := b.sm.DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String(nb.Name)}, as(t.creds))
	if err != nil {
		return abac.NotebookFacts{}, sageMakerError("DescribeNotebookInstance", nb.Team, nb.Name, err)
	}
	f := abac.NotebookFacts{
		DirectInternetAccess: string(out.DirectInternetAccess),
		RootAccess:           string(out.RootAccess),
		KMSKeyID:             aws.ToString(out.KmsKeyId),
		SubnetID:             aws.ToString(out.SubnetId),
		SecurityGroups:       out.SecurityGroups,
		InstanceType:         string(out.InstanceType),
		RoleARN:              aws.ToString(out.RoleArn),
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxPostureEntries {
		c.entries = map[string]postureEntry{}
	}
	c.entries[nb.Name] = postureEntry{facts: f, at: now}
	c.mu.Unlock()
	return f, nil
}

// complianceOf sets each candidate's compliance with its team's
// requirements, from its (cached) description. A notebook that cannot be
// described is marked unknown rather than failing the list.
func (b *Broker) complianceOf(ctx context.Context, f found) {
	for i := range f.candidates {
		nb := &f.candidates[i]
		t := f.teams[nb.Team]
		p := t.grant.Posture
		if p == nil || !p.NotebookRequirements {
			continue
		}
		facts, err := b.notebookFacts(ctx, *nb, t)
		nb.Compliance = notebookCompliance(p, facts, err)
	}
}

// checkDomainPosture holds a Studio domain against the team's studio
// requirements, as checkPosture holds a notebook.
func (b *Broker) checkDomainPosture(m *abac.Mapping, g abac.Grant, f abac.DomainFacts, ev *audit.Event) error {
	if g.Posture == nil {
		return nil
	}
	return postureVerdict(m, g.Posture, studioWhat(g), g.Posture.CheckDomain(f), ev)
}

// studioWhat names a team's Studio domain in a refusal.
func studioWhat(g abac.Grant) string {
	return fmt.Sprintf("Team %s's SageMaker Studio domain %s", g.Team, g.Studio.DomainID)
}

// domainCompliance is a Studio domain against p's studio requirements;
// nil when p has none.
func domainCompliance(p *abac.Posture, f abac.DomainFacts) *Compliance {
	if p == nil || !p.StudioVpcOnly && !p.StudioKMSRequired {
		return nil
	}
	unmet := p.CheckDomain(f)
	return &Compliance{Mode: p.Mode, Compliant: len(unmet) == 0, Unmet: unmet}
}
