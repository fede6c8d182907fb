package awsemu

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// createUserProfile creates a profile InService at once (AWS takes a few
// seconds), with its tags. IAM sees the tags as aws:RequestTag/<key> and
// aws:TagKeys, which is how a policy forces them.
func (e *Emulator) createUserProfile(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in struct {
		DomainId        *string
		UserProfileName *string
		Tags            []tagJSON
	}
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	var v violations
	checkDomainID(&v, in.DomainId)
	checkStudioName(&v, "userProfileName", in.UserProfileName, true)
	if len(in.Tags) > 50 {
		v.add("[...]", "tags", "Member must have length less than or equal to 50")
	}
	for _, t := range in.Tags {
		if msg := tagKeyProblem(t.Key); msg != "" {
			v.add(quoted(t.Key), "tags.member.key", msg)
		}
		if msg := tagValueProblem(t.Value); msg != "" {
			v.add(quoted(t.Value), "tags.member.value", msg)
		}
	}
	if len(v) > 0 {
		return nil, validationException(v.message())
	}
	tags := make(map[string]string, len(in.Tags))
	c := check{action: "sagemaker:CreateUserProfile", resource: e.studioARN("user-profile", *in.DomainId, *in.UserProfileName), context: map[string][]string{}}
	for _, t := range in.Tags {
		tags[t.Key] = t.Value
		c.context["aws:RequestTag/"+t.Key] = []string{t.Value}
		c.context["aws:TagKeys"] = append(c.context["aws:TagKeys"], t.Key)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	checks := []check{c}
	if len(in.Tags) > 0 {
		// Tags given at creation are also authorized as sagemaker:AddTags
		// on the new resource, as SageMaker does.
		checks = append(checks, check{action: "sagemaker:AddTags", resource: c.resource, context: c.context})
	}
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), checks...); aerr != nil {
		return nil, aerr
	}
	d := e.studio.domains[*in.DomainId]
	if d == nil {
		return nil, resourceNotFound(fmt.Sprintf("Domain %s not found", *in.DomainId))
	}
	if _, ok := d.profiles[*in.UserProfileName]; ok {
		return nil, &apiError{http.StatusBadRequest, "ResourceInUse", fmt.Sprintf("User profile %s already exists in domain %s", *in.UserProfileName, d.ID)}
	}
	p := &studioResource{name: *in.UserProfileName, arn: c.resource, tags: sortedTags(tags), created: e.nowLocked().UTC().Truncate(time.Second)}
	d.profiles[p.name] = p
	return struct{ UserProfileArn string }{p.arn}, nil
}

type presignDomainInput struct {
	DomainId, UserProfileName, SpaceName, LandingUri     *string
	ExpiresInSeconds, SessionExpirationDurationInSeconds *int
}

func (in presignDomainInput) check() *apiError {
	var v violations
	checkDomainID(&v, in.DomainId)
	checkStudioName(&v, "userProfileName", in.UserProfileName, true)
	checkStudioName(&v, "spaceName", in.SpaceName, false)
	rng := func(field string, n *int, lo, hi int) {
		switch {
		case n == nil:
		case *n < lo:
			v.add(quoted(strconv.Itoa(*n)), field, fmt.Sprintf("Member must have value greater than or equal to %d", lo))
		case *n > hi:
			v.add(quoted(strconv.Itoa(*n)), field, fmt.Sprintf("Member must have value less than or equal to %d", hi))
		}
	}
	rng("expiresInSeconds", in.ExpiresInSeconds, minDomainURLExpiry, maxDomainURLExpiry)
	rng("sessionExpirationDurationInSeconds", in.SessionExpirationDurationInSeconds, minNotebookSession, maxNotebookSession)
	if in.LandingUri != nil && len(*in.LandingUri) > maxLandingURI {
		v.add(quoted(*in.LandingUri), "landingUri", fmt.Sprintf("Member must have length less than or equal to %d", maxLandingURI))
	}
	if len(v) > 0 {
		return validationException(v.message())
	}
	return nil
}

// presignDomainAction is authorized on the user profile, for the call and
// again for every request made with the URL.
const presignDomainAction = "sagemaker:CreatePresignedDomainUrl"

func (e *Emulator) createPresignedDomainURL(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in presignDomainInput
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	if aerr := in.check(); aerr != nil {
		return nil, aerr
	}
	expiry, session := maxDomainURLExpiry, maxNotebookSession
	if in.ExpiresInSeconds != nil {
		expiry = *in.ExpiresInSeconds
	}
	if in.SessionExpirationDurationInSeconds != nil {
		session = *in.SessionExpirationDurationInSeconds
	}
	domainID, profile := *in.DomainId, *in.UserProfileName

	e.mu.Lock()
	defer e.mu.Unlock()
	g := grantorOf(who)
	if aerr := e.authorizeLocked("sagemaker", g, originOf(r), e.profileCheckLocked(domainID, profile)); aerr != nil {
		return nil, aerr
	}
	d := e.studio.domains[domainID]
	switch {
	case d == nil:
		return nil, resourceNotFound(fmt.Sprintf("Domain %s not found", domainID))
	case d.AuthMode != "IAM":
		return nil, validationException(fmt.Sprintf("Domain %s uses AuthMode %s; presigned domain URLs are only supported for domains with AuthMode IAM.", domainID, d.AuthMode))
	case d.profiles[profile] == nil:
		return nil, resourceNotFound(fmt.Sprintf("User profile %s not found in domain %s", profile, domainID))
	}
	link := &studioLink{domain: domainID, profile: profile, grantor: g,
		sessionDuration: time.Duration(session) * time.Second}
	if in.SpaceName != nil {
		s := d.spaces[*in.SpaceName]
		switch {
		case s == nil:
			return nil, resourceNotFound(fmt.Sprintf("Space %s not found in domain %s", *in.SpaceName, domainID))
		case s.owner != "" && s.owner != profile:
			// SageMaker keeps a private space to the profile that owns it.
			return nil, validationException(fmt.Sprintf("Space %s is private to another user profile; user profile %s cannot open it.", s.name, profile))
		}
		link.space = s.name
	}
	if in.LandingUri != nil {
		link.landing = *in.LandingUri
	}
	now := e.nowLocked()
	link.expires = now.Add(time.Duration(expiry) * time.Second)
	for k, l := range e.studio.links {
		if now.Sub(l.expires) > presignedRetention {
			delete(e.studio.links, k)
		}
	}
	for k, s := range e.studio.sessions {
		if now.After(s.expires) {
			delete(e.studio.sessions, k)
		}
	}
	token := newAuthToken()
	e.studio.links[tokenKey(token)] = link

	base := e.baseURL
	if base == "" {
		base = "http://" + r.Host
	}
	u := base + "/studio/" + url.PathEscape(domainID) + "/auth?" + url.Values{"token": {token}}.Encode()
	return struct {
		AuthorizedURL string `json:"AuthorizedUrl"`
	}{u}, nil
}

// profileCheckLocked is the presign permission on a user profile, existing
// or not. e.mu must be held.
func (e *Emulator) profileCheckLocked(domainID, profile string) check {
	arn := e.studioARN("user-profile", domainID, profile)
	if d := e.studio.domains[domainID]; d != nil {
		if p := d.profiles[profile]; p != nil {
			return resourceCheck(presignDomainAction, p.arn, p.tags)
		}
	}
	return resourceCheck(presignDomainAction, arn, nil)
}
