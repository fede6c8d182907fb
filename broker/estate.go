package broker

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"golang.org/x/sync/errgroup"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

// describeAtOnce bounds the DescribeNotebookInstance calls of an estate
// report, as listTagsAtOnce bounds a listing's ListTags.
const describeAtOnce = 8

// Estate is every notebook a mapping's teams can reach (tagged with the
// team's name), with its compliance against the team's requirements: what
// a platform team reads before turning a require block on, or to enforce.
type Estate struct {
	Notebooks []EstateNotebook `json:"notebooks"`
	// Studios are the teams' SageMaker Studio domains, checked against
	// their studio requirements.
	Studios []EstateStudio `json:"studios,omitempty"`
	// Problems are the teams whose notebooks could not be listed.
	Problems []TeamProblem `json:"problems,omitempty"`
}

// EstateNotebook is one notebook of the estate. Compliance is nil when the
// team has no requirements.
type EstateNotebook struct {
	Team       string      `json:"team"`
	Name       string      `json:"name"`
	Status     string      `json:"status"`
	Compliance *Compliance `json:"compliance,omitempty"`
}

// EstateStudio is one team's Studio domain. Compliance is nil when the
// team has no studio requirements; Problem says why it could not be
// described.
type EstateStudio struct {
	Team       string      `json:"team"`
	DomainID   string      `json:"domain_id"`
	Compliance *Compliance `json:"compliance,omitempty"`
	Problem    string      `json:"problem,omitempty"`
}

// TeamProblem says why a team's notebooks are missing from the estate.
type TeamProblem struct {
	Team    string `json:"team"`
	Message string `json:"message"`
}

// Estate lists, for each team of m (the live mapping, or one an admin
// proposes), the notebooks tagged with the team's name and checks each
// against the team's require block in m. The team roles are assumed as the
// admin, so CloudTrail names who looked. It also returns that name.
func (b *Broker) Estate(ctx context.Context, admin abac.Identity, m *abac.Mapping) (Estate, string, error) {
	name, err := b.principal(b.mapping(), admin)
	if err != nil {
		return Estate{}, "", err
	}
	ctx, release, err := b.acquire(ctx)
	if err != nil {
		return Estate{}, "", err
	}
	defer release()
	var out Estate
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(describeAtOnce)
	for _, team := range m.Teams {
		grant, err := m.GrantFor(team.Name, admin)
		if err != nil {
			out.Problems = append(out.Problems, TeamProblem{team.Name, "its grant cannot be made for you: " + err.Error()})
			continue
		}
		creds, err := b.assume(ctx, admin, name, grant, "")
		if err != nil {
			out.Problems = append(out.Problems, TeamProblem{team.Name, api.As(err).Message})
			continue
		}
		cat, err := b.disc.catalog(ctx, grant.RoleARN, creds)
		if err != nil {
			out.Problems = append(out.Problems, TeamProblem{team.Name, api.As(sageMakerError("ListNotebookInstances", team.Name, "for team "+team.Name, err)).Message})
			continue
		}
		if grant.Studio != nil {
			out.Studios = append(out.Studios, b.estateStudio(ctx, m, admin, grant, creds))
		}
		ownerTag := team.OwnerTag()
		for _, nb := range cat.notebooks {
			if nb.Tags["team"] != team.Name {
				continue
			}
			nb.Team = team.Name
			g.Go(func() error {
				en := EstateNotebook{Team: nb.Team, Name: nb.Name, Status: nb.Status}
				if p := grant.Posture; p != nil && p.NotebookRequirements {
					en.Compliance = b.estateCompliance(gctx, m, admin, name, team.Name, ownerTag, nb, grant, creds)
				}
				mu.Lock()
				out.Notebooks = append(out.Notebooks, en)
				mu.Unlock()
				return nil
			})
		}
	}
	_ = g.Wait() // each describe's error is in its row
	slices.SortFunc(out.Studios, func(a, b EstateStudio) int { return strings.Compare(a.Team, b.Team) })
	slices.SortFunc(out.Notebooks, func(a, b EstateNotebook) int {
		if a.Team != b.Team {
			return strings.Compare(a.Team, b.Team)
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, name, nil
}

// estateCompliance checks one notebook of the estate. The team role's
// policy commonly lets a session describe only its user's notebooks
// (owner=${aws:PrincipalTag/user}), so a notebook with an owner tag is
// described in a session with its owner's tags, made in the admin's name
// (as explain's notebook list is): CloudTrail shows the admin.
func (b *Broker) estateCompliance(ctx context.Context, m *abac.Mapping, admin abac.Identity, name, team, ownerTag string, nb Notebook, g abac.Grant, creds aws.Credentials) *Compliance {
	if owner := nb.Tags[ownerTag]; ownerTag != "" && owner != "" && owner != admin.Username {
		as := abac.Identity{Subject: admin.Subject, Username: owner, Groups: admin.Groups}
		og, err := m.GrantFor(team, as)
		if err == nil {
			creds, err = b.assume(ctx, as, name, og, "")
		}
		if err != nil {
			return &Compliance{Mode: g.Posture.Mode, Unknown: "cannot take the owner's session to describe it: " + api.As(err).Message}
		}
	}
	facts, err := b.notebookFacts(ctx, nb, teamSession{grant: g, creds: creds})
	return notebookCompliance(g.Posture, facts, err)
}

// estateStudio describes a team's Studio domain as the admin and checks it.
func (b *Broker) estateStudio(ctx context.Context, m *abac.Mapping, admin abac.Identity, g abac.Grant, creds aws.Credentials) EstateStudio {
	es := EstateStudio{Team: g.Team, DomainID: g.Studio.DomainID}
	if b.studio == nil {
		es.Problem = errNoStudioClient.Message
		return es
	}
	sess := studioSession{b: b, m: m, id: admin, g: g, creds: creds}
	if err := sess.domain(ctx); err != nil {
		es.Problem = api.As(err).Message
		return es
	}
	es.Compliance = domainCompliance(g.Posture, sess.facts)
	return es
}
