package awsemu

import (
	"fmt"
	"net/http"
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
	// sessions are the links used, by their cookie's tokenKey; expires is
	// the session's end.
	sessions map[string]*studioLink
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
	e.studio = studioState{domains: map[string]*domain{}, links: map[string]*studioLink{}, sessions: map[string]*studioLink{}}
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
	access := d.AppNetworkAccessType
	if access == "" {
		access = "PublicInternetOnly"
	}
	return struct {
		DomainId, DomainArn, DomainName, AuthMode, Status, Url string
		AppNetworkAccessType                                   string
		KmsKeyId                                               string `json:",omitempty"`
	}{d.ID, d.arn, d.Name, d.AuthMode, "InService", fmt.Sprintf("https://%s.studio.%s.sagemaker.aws", d.ID, e.region), access, d.KmsKeyID}, nil
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
