package abac

// AWS ranges the mapping is checked against, so a bad value is refused when the
// file is loaded rather than by AWS at the first open.
const (
	MinRoleSessionSeconds     = 900
	MaxRoleSessionSeconds     = 3600 // the ceiling for role chaining, the safe assumption
	MinNotebookSessionSeconds = 1800
	MaxNotebookSessionSeconds = 43200
	MaxSessionTags            = 50
	MaxTagKeyLen              = 128
	MaxTagValueLen            = 256

	defaultRoleSessionSeconds     = 900
	defaultNotebookSessionSeconds = 3600
)

// Mapping is a parsed, validated team mapping. It is immutable once returned
// by Parse, so one value can be shared by every request.
type Mapping struct {
	Version     int      `yaml:"version"`
	Support     string   `yaml:"support"`
	AdminGroups []string `yaml:"admin_groups"`
	Defaults    Defaults `yaml:"defaults"`
	Teams       []Team   `yaml:"teams"`

	idx  *index
	refs *References
}

// Defaults apply to every team that leaves the field unset.
type Defaults struct {
	RoleSessionSeconds     int `yaml:"role_session_seconds"`
	NotebookSessionSeconds int `yaml:"notebook_session_seconds"`
	// Require applies to every team; a team's require overrides it field
	// by field (posture.go).
	Require *Requirements `yaml:"require"`
	// StartStopped is start_stopped for teams that do not set it; off.
	StartStopped bool `yaml:"start_stopped"`
}

// Team is one entry of the mapping: who belongs to it and what it may open.
type Team struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Match lists rules; the team matches when any rule matches.
	Match []Rule `yaml:"match"`
	// Exclude lists rules that win over Match: anyone they match is out.
	Exclude                []Rule            `yaml:"exclude"`
	RoleARN                string            `yaml:"role_arn"`
	SessionTags            map[string]string `yaml:"session_tags"`
	TransitiveTagKeys      []string          `yaml:"transitive_tag_keys"`
	RoleSessionSeconds     int               `yaml:"role_session_seconds"`
	NotebookSessionSeconds int               `yaml:"notebook_session_seconds"`
	Notebooks              NotebookSelector  `yaml:"notebooks"`
	Studio                 *Studio           `yaml:"studio"`
	// Require is what the team's notebooks must be before they are
	// opened, over defaults.require (posture.go).
	Require *Requirements `yaml:"require"`
	// StartStopped lets an open start the team's stopped notebook with the
	// team role (StartNotebookInstance) and wait until it runs; nil takes
	// defaults.start_stopped. Off, a stopped notebook is refused with who
	// to ask.
	StartStopped *bool `yaml:"start_stopped"`

	posture        *Posture
	tagValues      map[string]*value
	selectorValues map[string]*value
	nameValues     []*value
	studio         *studioValues
}

// Rule is an AND of conditions. A rule with no condition is refused by
// validation, so no rule matches everyone by accident.
type Rule struct {
	// Subjects: the identity's subject (the ID token's sub, compared
	// exactly) is one of these. It names one person for good, where a
	// username or email can be reassigned.
	Subjects []string `yaml:"subjects"`
	// Groups: the identity is in any of these groups.
	Groups []string `yaml:"groups"`
	// Claims: every listed claim condition holds.
	Claims []ClaimCondition `yaml:"claims"`
	// EmailDomains: the email's domain is one of these (case-insensitive),
	// and the provider did not say the email is unverified.
	EmailDomains []string `yaml:"email_domains"`
}

// Bounds on a glob pattern. They keep the worst match (see globMatch)
// proportional to the claim, and no real pattern comes near them.
const (
	MaxGlobLen   = 256 // characters
	MaxGlobStars = 8
)

// MaxSubjectLen is the longest subject OpenID Connect allows (Core §2).
const MaxSubjectLen = 255

// droppedClaims are the JWT and OpenID Connect claims that describe the ID
// token rather than the person: the broker checks them at sign-in and does
// not keep them in Identity.Claims, so validation refuses a rule on one
// (it could never match). sub, acr, amr, auth_time and sid are kept.
var droppedClaims = map[string]bool{
	"iss": true, "aud": true, "exp": true, "iat": true, "nbf": true, "jti": true,
	"nonce": true, "at_hash": true, "c_hash": true, "s_hash": true, "azp": true, "rat": true,
}

// DroppedClaim reports whether the sign-in leaves the named ID-token claim
// out of Identity.Claims.
func DroppedClaim(name string) bool { return droppedClaims[name] }

// ClaimCondition holds when the claim at Path (a name such as
// "cognito:groups" or a dotted path such as "realm_access.roles") has a value
// equal to one of Equals or matching one of the Glob patterns (* and ?).
// For a list claim, any element will do.
type ClaimCondition struct {
	Path   string   `yaml:"path"`
	Equals []string `yaml:"equals"`
	Glob   []string `yaml:"glob"`
}

// NotebookSelector picks the notebook instances a team member may open: every
// tag must be on the notebook with exactly the rendered value (team=<name> is
// always implied), and when Names is set the notebook must be one of them.
type NotebookSelector struct {
	Tags  map[string]string `yaml:"tags"`
	Names []string          `yaml:"names"`
}

// Studio is a SageMaker Studio target: the broker opens the user profile
// (and space) with CreatePresignedDomainUrl.
type Studio struct {
	DomainID    string `yaml:"domain_id"`
	UserProfile string `yaml:"user_profile"` // templated, e.g. "{{.Username}}"
	Space       string `yaml:"space"`        // templated, optional
	LandingURI  string `yaml:"landing_uri"`  // optional: studio::… or app:JupyterLab:…
	// CreateUserProfile lets the broker create a missing user profile,
	// tagged team and owner; off by default.
	CreateUserProfile bool `yaml:"create_user_profile"`
}
