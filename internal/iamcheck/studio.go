package iamcheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/iameval"
)

// Studio: for each team session of a person whose team has a studio
// setting, IAM must let the session presign the person's own user profile
// (tagged team and owner) and refuse every other one; and create a missing
// profile only when the team allows it, only with the team and owner tags.

const (
	presignDomainAction = "sagemaker:CreatePresignedDomainUrl"
	createProfileAction = "sagemaker:CreateUserProfile"
	addTagsAction       = "sagemaker:AddTags"
)

// studioProfile is one user profile the Studio check asks about.
type studioProfile struct {
	what  string // for the report
	tags  map[string]string
	allow bool // IAM must allow presigning it for a member
}

// studio checks one team session's Studio requests; member says whether
// the broker would open the person's Studio with it.
func (c *checker) studio(r *Report, id abac.Identity, t *team, g abac.Grant, s *roleSession, member bool) {
	st := g.Studio
	if st == nil {
		return
	}
	other := "another-team"
	for _, o := range c.teams {
		if o.name != t.name {
			other = o.name
			break
		}
	}
	user := s.tags["user"]
	profiles := []studioProfile{
		{"the person's own user profile", map[string]string{"team": t.name, "owner": user}, true},
		{"a user profile of team " + other, map[string]string{"team": other, "owner": user}, false},
		{"a teammate's user profile", map[string]string{"team": t.name, "owner": user + "-teammate"}, false},
		{"an untagged user profile", nil, false},
	}
	for _, p := range profiles {
		arn := c.profileARN(t, st.DomainID, st.UserProfile)
		got := c.studioCall(r, t, s, presignDomainAction, arn, p.tags, nil, c.brokerNetwork())
		c.studioVerdict(r, id, st, p.what, "presign", member && p.allow, got, p.allow)
		if member && p.allow && c.userNetwork() != nil {
			if !c.studioCall(r, t, s, presignDomainAction, arn, p.tags, nil, c.userNetwork()) {
				c.studioVerdict(r, id, st, p.what+" from the users' network", "use the URL of", true, false, true)
			}
			if c.studioCall(r, t, s, presignDomainAction, arn, p.tags, nil, c.elsewhere()) {
				c.studioVerdict(r, id, st, p.what+" from outside both networks", "use the URL of", false, true, false)
			}
		}
	}

	creates := []struct {
		what  string
		tags  map[string]string
		allow bool
	}{
		{"with the team and owner tags", map[string]string{"team": t.name, "owner": user}, true},
		{"tagged for team " + other, map[string]string{"team": other, "owner": user}, false},
		{"tagged for a teammate", map[string]string{"team": t.name, "owner": user + "-teammate"}, false},
		{"with an extra tag", map[string]string{"team": t.name, "owner": user, "secds-extra": "x"}, false},
	}
	for _, cr := range creates {
		want := cr.allow && st.CreateUserProfile
		arn := c.profileARN(t, st.DomainID, st.UserProfile)
		got := c.studioCall(r, t, s, createProfileAction, arn, nil, cr.tags, c.brokerNetwork()) &&
			c.studioCall(r, t, s, addTagsAction, arn, nil, cr.tags, c.brokerNetwork())
		c.studioVerdict(r, id, st, "the person's user profile "+cr.what, "create", member && want, got, want)
	}
}

// studioVerdict records one Studio request against what was expected:
// brokerDoes, what the broker does for the person; want, what IAM must say
// (for a non-member a refusal IAM allows is membership, the broker's alone).
func (c *checker) studioVerdict(r *Report, id abac.Identity, st *abac.StudioTarget, what, verb string, brokerDoes, got, want bool) {
	p := Pair{User: id.Username, Subject: id.Subject, Notebook: "studio:" + st.DomainID + "/" + st.UserProfile, Broker: brokerDoes, IAM: got}
	switch {
	case brokerDoes && !got:
		p.Why = fmt.Sprintf("IAM refuses to %s %s", verb, what)
		r.Stricter = append(r.Stricter, p)
	case got && !want:
		p.Why = fmt.Sprintf("IAM lets the session %s %s", verb, what)
		r.Looser = append(r.Looser, p)
	}
}

// profileARN is a user profile's ARN in the team role's account.
func (c *checker) profileARN(t *team, domain, name string) string {
	return "arn:aws:sagemaker:" + region + ":" + t.account + ":user-profile/" + domain + "/" + name
}

// studioCall evaluates one Studio request by t's session s on arn, with the
// resource's tags (nil for a resource being created) and the request's
// tags (for a create).
func (c *checker) studioCall(r *Report, t *team, s *roleSession, action, arn string, resourceTags, requestTags map[string]string, from origin) bool {
	roleName := t.roleARN[strings.LastIndex(t.roleARN, "/")+1:]
	ctx := map[string][]string{
		"aws:PrincipalArn":     {t.roleARN},
		"aws:PrincipalAccount": {t.account},
	}
	if s.sourceIdentity != "" {
		ctx["aws:SourceIdentity"] = []string{s.sourceIdentity}
	}
	for k, v := range s.tags {
		ctx["aws:PrincipalTag/"+k] = []string{v}
	}
	for k, v := range resourceTags {
		ctx["aws:ResourceTag/"+k] = []string{v}
		ctx["sagemaker:ResourceTag/"+k] = []string{v}
	}
	var keys []string
	for k, v := range requestTags {
		ctx["aws:RequestTag/"+k] = []string{v}
		keys = append(keys, k)
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		ctx["aws:TagKeys"] = keys
	}
	for k, v := range from {
		ctx[k] = v
	}
	req := iameval.Request{
		Principal: "arn:aws:sts::" + t.account + ":assumed-role/" + roleName + "/" + s.name,
		Role:      t.roleARN, Action: action, Resource: arn, Context: ctx,
	}
	pols := iameval.Policies{Identity: []*iameval.Policy{t.permissions}, PrincipalAccount: t.account, ResourceAccount: t.account}
	return record(r, req, pols)
}
