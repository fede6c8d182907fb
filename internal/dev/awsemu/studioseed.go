package awsemu

import (
	"fmt"
	"regexp"
)

// Domain is a SageMaker Studio domain with its user profiles and spaces.
type Domain struct {
	ID   string `yaml:"id"`   // d- and 12 lowercase letters or digits
	Name string `yaml:"name"` // default: the ID
	// AuthMode is IAM (the default) or SSO; CreatePresignedDomainUrl works
	// only for IAM.
	AuthMode string `yaml:"auth_mode"`
	// AppNetworkAccessType is PublicInternetOnly (the default, AWS's) or
	// VpcOnly; KmsKeyID the domain's storage key, if any.
	AppNetworkAccessType string            `yaml:"app_network_access_type"`
	KmsKeyID             string            `yaml:"kms_key_id"`
	Tags                 map[string]string `yaml:"tags"`
	UserProfiles         []UserProfile     `yaml:"user_profiles"`
	Spaces               []Space           `yaml:"spaces"`
}

// UserProfile is a Studio user profile of a domain.
type UserProfile struct {
	Name string            `yaml:"name"`
	Tags map[string]string `yaml:"tags"`
}

// Space is a Studio space of a domain: private to the user profile Owner,
// or shared with the whole domain when Owner is empty.
type Space struct {
	Name  string            `yaml:"name"`
	Owner string            `yaml:"owner"`
	Tags  map[string]string `yaml:"tags"`
}

var (
	domainIDPattern   = regexp.MustCompile(`^d-[a-z0-9]{12}$`)
	studioNamePattern = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
)

// validateDomains adds every problem of the seed's Studio domains.
func validateDomains(domains []Domain, add func(format string, args ...any)) {
	ids := map[string]bool{}
	for i, d := range domains {
		at := fmt.Sprintf("domains[%d]", i)
		if !domainIDPattern.MatchString(d.ID) {
			add("%s.id %q: must be d- and 12 lowercase letters or digits", at, d.ID)
		} else if ids[d.ID] {
			add("%s.id %q: duplicate", at, d.ID)
		}
		ids[d.ID] = true
		if d.AuthMode != "IAM" && d.AuthMode != "SSO" {
			add("%s.auth_mode %q: must be IAM or SSO", at, d.AuthMode)
		}
		addTagProblems(at, d.Tags, add)
		profiles := map[string]bool{}
		for j, p := range d.UserProfiles {
			pat := fmt.Sprintf("%s.user_profiles[%d]", at, j)
			if !studioNamePattern.MatchString(p.Name) {
				add("%s.name %q: must be 1-63 letters, digits and hyphens", pat, p.Name)
			} else if profiles[p.Name] {
				add("%s.name %q: duplicate", pat, p.Name)
			}
			profiles[p.Name] = true
			addTagProblems(pat, p.Tags, add)
		}
		spaces := map[string]bool{}
		for j, s := range d.Spaces {
			sat := fmt.Sprintf("%s.spaces[%d]", at, j)
			if !studioNamePattern.MatchString(s.Name) {
				add("%s.name %q: must be 1-63 letters, digits and hyphens", sat, s.Name)
			} else if spaces[s.Name] {
				add("%s.name %q: duplicate", sat, s.Name)
			}
			spaces[s.Name] = true
			if s.Owner != "" && !profiles[s.Owner] {
				add("%s.owner %q: no such user profile in domain %s", sat, s.Owner, d.ID)
			}
			addTagProblems(sat, s.Tags, add)
		}
	}
}

func addTagProblems(at string, tags map[string]string, add func(format string, args ...any)) {
	if len(tags) > 50 {
		add("%s.tags: at most 50 tags", at)
	}
	for k, v := range tags {
		if msg := tagKeyProblem(k); msg != "" {
			add("%s.tags[%q]: %s", at, k, msg)
		}
		if msg := tagValueProblem(v); msg != "" {
			add("%s.tags[%q] value: %s", at, k, msg)
		}
	}
}

// domainDefaults fills a domain's defaults; the slices are copied so the
// caller's seed is never modified.
func domainDefaults(in []Domain) []Domain {
	out := append([]Domain(nil), in...)
	for i := range out {
		d := &out[i]
		if d.Name == "" {
			d.Name = d.ID
		}
		if d.AuthMode == "" {
			d.AuthMode = "IAM"
		}
		d.UserProfiles = append([]UserProfile(nil), d.UserProfiles...)
		d.Spaces = append([]Space(nil), d.Spaces...)
	}
	return out
}
