package awsemu

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Studio: domains, user profiles and spaces, and the calls the broker makes
// on them. Every call is authorized by the same IAM evaluation as the
// notebook calls, against the resource ARNs and tags AWS uses.

func init() {
	sageMakerOps["DescribeDomain"] = (*Emulator).describeDomain
	sageMakerOps["ListUserProfiles"] = (*Emulator).listUserProfiles
	sageMakerOps["ListSpaces"] = (*Emulator).listSpaces
	sageMakerOps["CreateUserProfile"] = (*Emulator).createUserProfile
	sageMakerOps["CreatePresignedDomainUrl"] = (*Emulator).createPresignedDomainURL
}

// Ranges of CreatePresignedDomainUrl.
const (
	minDomainURLExpiry = 5
	maxDomainURLExpiry = 300
	maxLandingURI      = 1023
)

// studioState is the emulator's Studio world; guarded by Emulator.mu.
type studioState struct {
	domains map[string]*domain     // by ID
	links   map[string]*studioLink // by tokenKey
}

type domain struct {
	Domain
	arn      string
	tags     []Tag
	profiles map[string]*studioResource // by name
	spaces   map[string]*studioResource // by name
}

// studioResource is a user profile or a space with the fields AWS derives.
type studioResource struct {
	name, arn, owner string // owner: a private space's user profile
	tags             []Tag
	created          time.Time
}

// studioLink is what a presigned domain URL's token stands for. Like a
// notebook link it keeps the presigner's authorization, checked again at use.
type studioLink struct {
	domain, profile, space, landing string
	grantor                         grantor
	sessionDuration                 time.Duration
	expires                         time.Time
	used                            bool
}

func (e *Emulator) seedStudio(domains []Domain, now time.Time) {
	e.studio = studioState{domains: map[string]*domain{}, links: map[string]*studioLink{}}
	created := now.UTC().Truncate(time.Second)
	for _, d := range domains {
		dom := &domain{Domain: d, arn: e.studioARN("domain", d.ID), tags: sortedTags(d.Tags),
			profiles: map[string]*studioResource{}, spaces: map[string]*studioResource{}}
		for _, p := range d.UserProfiles {
			dom.profiles[p.Name] = &studioResource{name: p.Name, arn: e.studioARN("user-profile", d.ID, p.Name), tags: sortedTags(p.Tags), created: created}
		}
		for _, s := range d.Spaces {
			dom.spaces[s.Name] = &studioResource{name: s.Name, owner: s.Owner, arn: e.studioARN("space", d.ID, s.Name), tags: sortedTags(s.Tags), created: created}
		}
		e.studio.domains[d.ID] = dom
	}
}

// studioARN is a Studio resource's ARN: domain/ID, user-profile/ID/NAME,
// space/ID/NAME.
func (e *Emulator) studioARN(kind string, parts ...string) string {
	return fmt.Sprintf("arn:aws:sagemaker:%s:%s:%s/%s", e.region, e.accountID, kind, strings.Join(parts, "/"))
}

// studioTaggedLocked finds a Studio resource by ARN for ListTags. e.mu
// must be held.
func (e *Emulator) studioTaggedLocked(arn string) (string, []Tag, bool) {
	for _, d := range e.studio.domains {
		if d.arn == arn {
			return d.arn, d.tags, true
		}
		for _, rs := range []map[string]*studioResource{d.profiles, d.spaces} {
			for _, r := range rs {
				if r.arn == arn {
					return r.arn, r.tags, true
				}
			}
		}
	}
	return "", nil, false
}

// resourceCheck is action on a resource with these tags (none when it does
// not exist, so a caller who may not see it cannot learn that it exists).
func resourceCheck(action, arn string, tags []Tag) check {
	c := check{action: action, resource: arn, context: map[string][]string{}}
	addResourceTags(c.context, tags)
	return c
}

var resourceNotFound = func(msg string) *apiError {
	return &apiError{http.StatusBadRequest, "ResourceNotFound", msg}
}

func checkDomainID(v *violations, id *string) {
	switch {
	case id == nil:
		v.add("null", "domainId", "Member must not be null")
	case len(*id) > 63:
		v.add(quoted(*id), "domainId", "Member must have length less than or equal to 63")
	}
}

func checkStudioName(v *violations, field string, name *string, required bool) {
	switch {
	case name == nil:
		if required {
			v.add("null", field, "Member must not be null")
		}
	case len(*name) > 63:
		v.add(quoted(*name), field, "Member must have length less than or equal to 63")
	case !studioNamePattern.MatchString(*name):
		v.add(quoted(*name), field, "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")
	}
}

func (e *Emulator) describeDomain(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in struct{ DomainId *string }
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	var v violations
	checkDomainID(&v, in.DomainId)
	if len(v) > 0 {
		return nil, validationException(v.message())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.studio.domains[*in.DomainId]
	c := resourceCheck("sagemaker:DescribeDomain", e.studioARN("domain", *in.DomainId), nil)
	if d != nil {
		c = resourceCheck(c.action, d.arn, d.tags)
	}
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), c); aerr != nil {
		return nil, aerr
	}
	if d == nil {
		return nil, resourceNotFound(fmt.Sprintf("Domain %s not found", *in.DomainId))
	}
	return struct {
		DomainId, DomainArn, DomainName, AuthMode, Status, Url string
	}{d.ID, d.arn, d.Name, d.AuthMode, "InService", fmt.Sprintf("https://%s.studio.%s.sagemaker.aws", d.ID, e.region)}, nil
}

type studioListInput struct {
	DomainIdEquals          *string
	UserProfileNameContains *string
	SpaceNameContains       *string
	MaxResults              *int
	NextToken               *string
}

// page checks the list input and returns its offset and limit.
func (in studioListInput) page() (offset, limit int, aerr *apiError) {
	var v violations
	limit = defaultListPage
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > 100 {
			v.add(quoted(strconv.Itoa(limit)), "maxResults", "Member must have value between 1 and 100")
		}
	}
	if len(v) > 0 {
		return 0, 0, validationException(v.message())
	}
	if in.NextToken != nil && *in.NextToken != "" {
		var ok bool
		if offset, ok = decodePageToken(*in.NextToken); !ok {
			return 0, 0, validationException("Invalid pagination token.")
		}
	}
	return offset, limit, nil
}

// pageOf returns the names of rs (sorted) that contain part, one page.
func pageOf(domains map[string]*domain, domainID *string, part *string, pick func(*domain) map[string]*studioResource, offset, limit int) (out []struct {
	d *domain
	r *studioResource
}, next string) {
	type item = struct {
		d *domain
		r *studioResource
	}
	var all []item
	for _, d := range domains {
		if domainID != nil && d.ID != *domainID {
			continue
		}
		for _, r := range pick(d) {
			if part == nil || strings.Contains(r.name, *part) {
				all = append(all, item{d, r})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].d.ID != all[j].d.ID {
			return all[i].d.ID < all[j].d.ID
		}
		return all[i].r.name < all[j].r.name
	})
	end := min(offset+limit, len(all))
	if end < len(all) {
		next = encodePageToken(end)
	}
	return all[min(offset, len(all)):end], next
}

func (e *Emulator) listUserProfiles(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in studioListInput
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	offset, limit, aerr := in.page()
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// ListUserProfiles has no resource type: "*" is the only resource.
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), check{action: "sagemaker:ListUserProfiles", resource: "*"}); aerr != nil {
		return nil, aerr
	}
	type detail struct {
		DomainId, UserProfileName, Status string
		CreationTime, LastModifiedTime    epochSeconds
	}
	items, next := pageOf(e.studio.domains, in.DomainIdEquals, in.UserProfileNameContains, func(d *domain) map[string]*studioResource { return d.profiles }, offset, limit)
	out := struct {
		UserProfiles []detail
		NextToken    string `json:",omitempty"`
	}{UserProfiles: []detail{}, NextToken: next}
	for _, it := range items {
		out.UserProfiles = append(out.UserProfiles, detail{it.d.ID, it.r.name, "InService", epochSeconds(it.r.created), epochSeconds(it.r.created)})
	}
	return out, nil
}

func (e *Emulator) listSpaces(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in studioListInput
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	offset, limit, aerr := in.page()
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), check{action: "sagemaker:ListSpaces", resource: "*"}); aerr != nil {
		return nil, aerr
	}
	type ownership struct {
		OwnerUserProfileName string `json:",omitempty"`
	}
	type sharing struct{ SharingType string }
	type detail struct {
		DomainId, SpaceName, Status    string
		CreationTime, LastModifiedTime epochSeconds
		OwnershipSettingsSummary       ownership
		SpaceSharingSettingsSummary    sharing
	}
	items, next := pageOf(e.studio.domains, in.DomainIdEquals, in.SpaceNameContains, func(d *domain) map[string]*studioResource { return d.spaces }, offset, limit)
	out := struct {
		Spaces    []detail
		NextToken string `json:",omitempty"`
	}{Spaces: []detail{}, NextToken: next}
	for _, it := range items {
		share := "Shared"
		if it.r.owner != "" {
			share = "Private"
		}
		out.Spaces = append(out.Spaces, detail{it.d.ID, it.r.name, "InService", epochSeconds(it.r.created), epochSeconds(it.r.created), ownership{it.r.owner}, sharing{share}})
	}
	return out, nil
}

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

// SetDomainAuthMode changes a domain's authentication mode (IAM or SSO),
// for tests.
func (e *Emulator) SetDomainAuthMode(id, mode string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.studio.domains[id]
	if d == nil {
		return fmt.Errorf("set domain %s auth mode: no such domain", id)
	}
	if mode != "IAM" && mode != "SSO" {
		return fmt.Errorf("set domain %s auth mode %q: must be IAM or SSO", id, mode)
	}
	d.AuthMode = mode
	return nil
}

// UserProfileTags returns a user profile's tags, and whether it exists, for
// tests.
func (e *Emulator) UserProfileTags(domainID, name string) (map[string]string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := e.studio.domains[domainID]
	if d == nil || d.profiles[name] == nil {
		return nil, false
	}
	out := map[string]string{}
	for _, t := range d.profiles[name].tags {
		out[t.Key] = t.Value
	}
	return out, true
}
