package broker

import (
	"context"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

// studios lists the Studio targets of the grants for id, with the spaces
// each lets it open. A target that cannot be opened now is listed with the
// problem an open would meet, so one team's Studio never hides the rest.
func (b *Broker) studios(ctx context.Context, m *abac.Mapping, id abac.Identity, name string, grants []abac.Grant) ([]Studio, error) {
	var out []Studio
	for _, g := range grants {
		if g.Studio == nil {
			continue
		}
		st := Studio{Team: g.Team, DomainID: g.Studio.DomainID, UserProfile: g.Studio.UserProfile}
		if b.studio == nil {
			st.Problem = &api.Problem{Status: errNoStudioClient.Kind.Status(), Code: errNoStudioClient.Code, Message: errNoStudioClient.Message}
			out = append(out, st)
			continue
		}
		creds, err := b.assume(ctx, id, name, g, "") // a list issues no URL: not pinned
		if err != nil {
			return nil, err
		}
		sess := studioSession{b: b, m: m, id: id, g: g, creds: creds}
		err = sess.domain(ctx)
		if err == nil {
			st.Compliance = domainCompliance(g.Posture, sess.facts)
			if c := st.Compliance; c != nil && !c.Compliant && c.Mode == abac.PostureEnforce {
				// The open would be refused for this: say so, as for any
				// other reason it would be.
				err = postureRefused(m, studioWhat(g), c.Unmet)
			}
		}
		if err == nil {
			err = sess.profile(ctx, false)
		}
		var spaces []studioSpace
		if err == nil || api.As(err).Code == api.CodeNoStudioProfile && g.Studio.CreateUserProfile {
			// A profile the open would create is no problem.
			if spaces, err = sess.spaces(ctx); err == nil {
				for _, sp := range spaces {
					if sp.yours {
						st.Spaces = append(st.Spaces, sp.name)
					}
				}
			}
		}
		if err != nil {
			e := api.As(err)
			st.Problem = &api.Problem{Status: e.Kind.Status(), Code: e.Code, Message: e.Message}
		}
		out = append(out, st)
	}
	return out, nil
}
