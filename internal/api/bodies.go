package api

import (
	"strings"
	"time"

	"github.com/secds/secds/abac"
)

// Configuration is GET /.well-known/secds-configuration: what `secds
// configure` stores about a broker.
type Configuration struct {
	BrokerURL       string `json:"broker_url"`
	CLILoginPath    string `json:"cli_login_path"`
	TokenEndpoint   string `json:"token_endpoint"`
	APIBase         string `json:"api_base"`
	Version         string `json:"version"`
	CLILogin        bool   `json:"cli_login"` // false when the broker has no token keys
	TokenTTLSeconds int    `json:"token_ttl_seconds,omitempty"`
}

// TokenRequest is the body of POST /api/v1/cli/token (JSON, or the same
// names as a form).
type TokenRequest struct {
	Code        string `json:"code"`
	Verifier    string `json:"code_verifier"`
	RedirectURI string `json:"redirect_uri"`
}

// TokenResponse is a successful POST /api/v1/cli/token.
type TokenResponse struct {
	Token     string    `json:"token"` // a bearer secret
	TokenType string    `json:"token_type"`
	ExpiresAt time.Time `json:"expires_at"`
	Username  string    `json:"username"`
}

// ErrorBody is the error object of every API error answer.
type ErrorBody struct {
	Code      Code   `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// ErrorResponse is every API error answer: {"error": {...}}, plus the
// mistakes of a mapping refused with CodeMappingInvalid.
type ErrorResponse struct {
	Error    ErrorBody        `json:"error"`
	Problems []MappingProblem `json:"problems,omitempty"`
}

// Problem is a refusal reported inside a successful answer, such as "no
// team" on GET /api/v1/me; Status is what the refusal would have been.
type Problem struct {
	Status  int    `json:"status"`
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Notebook is one notebook the broker lists or offers.
type Notebook struct {
	Team   string `json:"team"`
	Name   string `json:"name"`
	Status string `json:"status"`
	// Starts: it is not running, and opening it starts it (its team allows
	// that) or waits for it to start.
	Starts bool `json:"starts,omitempty"`
	// Compliance is the notebook against its team's require block; absent
	// when the team has none.
	Compliance *Compliance `json:"compliance,omitempty"`
}

// Compliance says whether a notebook meets its team's requirements.
type Compliance struct {
	// Mode is enforce (an unmet requirement refuses the open) or warn.
	Mode      string       `json:"mode"`
	Compliant bool         `json:"compliant"`
	Unmet     []abac.Unmet `json:"unmet,omitempty"`
	// Unknown says why the notebook could not be checked (the open checks
	// again).
	Unknown string `json:"unknown,omitempty"`
}

// PostureRequest is the body of POST /api/v1/admin/posture: the mapping
// whose require blocks to check the estate against; empty: the live one.
type PostureRequest struct {
	Mapping string `json:"mapping,omitempty"`
}

// PostureResponse is every notebook the mapping's teams can reach, with
// its compliance.
type PostureResponse struct {
	// MappingVersion is the live mapping's version, or 0 for a proposed one.
	MappingVersion int64            `json:"mapping_version"`
	Notebooks      []Notebook       `json:"notebooks"`
	Studios        []PostureStudio  `json:"studios,omitempty"`
	Problems       []PostureProblem `json:"problems,omitempty"`
}

// PostureStudio is a team's SageMaker Studio domain with its compliance
// (absent when the team has no studio requirements), or why it could not
// be described.
type PostureStudio struct {
	Team       string      `json:"team"`
	DomainID   string      `json:"domain_id"`
	Compliance *Compliance `json:"compliance,omitempty"`
	Problem    string      `json:"problem,omitempty"`
}

// PostureProblem says why a team's notebooks are missing.
type PostureProblem struct {
	Team    string `json:"team"`
	Message string `json:"message"`
}

// MeIdentity is who the caller is, without the raw claims.
type MeIdentity struct {
	Subject  string   `json:"sub"`
	Username string   `json:"username"`
	Email    string   `json:"email,omitempty"`
	Groups   []string `json:"groups"`
}

// MeResponse is GET /api/v1/me. List problems (no team, AWS down) do not
// fail the call: the caller still learns who it is, and Problem says why
// nothing is listed.
type MeResponse struct {
	Identity       MeIdentity `json:"identity"`
	Teams          []string   `json:"teams"`
	Notebooks      []Notebook `json:"notebooks"`
	Studios        []Studio   `json:"studios,omitempty"`
	Admin          bool       `json:"admin"`
	Problem        *Problem   `json:"problem,omitempty"`
	Auth           string     `json:"auth"`                      // "token" or "session"
	TokenExpiresAt time.Time  `json:"token_expires_at,omitzero"` // with a token
	CSRFToken      string     `json:"csrf_token,omitempty"`      // with a session: send it as X-CSRF-Token
}

// OpenRequest is the body of POST /api/v1/open; every field may be empty.
// With Studio set it opens the team's SageMaker Studio (Space, if given)
// instead of a notebook instance.
type OpenRequest struct {
	Team     string `json:"team,omitempty"`
	Notebook string `json:"notebook,omitempty"`
	Studio   bool   `json:"studio,omitempty"`
	Space    string `json:"space,omitempty"`
}

// OpenResponse is a 200 answer of POST /api/v1/open. URL is a bearer secret
// that works once, within five minutes.
type OpenResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	Team      string    `json:"team"`
	Notebook  string    `json:"notebook"`
	// Studio is set when Studio was opened, instead of Notebook.
	Studio *StudioOpened `json:"studio,omitempty"`
}

// ChoicesResponse is the 409 answer of POST /api/v1/open when several
// notebooks fit: the usual error object, code CodeChooseNotebook, plus the
// choices. Asking again with one choice's team and name opens it.
type ChoicesResponse struct {
	Error   ErrorBody  `json:"error"`
	Choices []Notebook `json:"choices"`
}

// Summary says a compliance in a few words, for tables: "compliant",
// "not compliant (enforce): root_access=Enabled, …", "unknown: …".
func (c *Compliance) Summary() string {
	switch {
	case c == nil:
		return ""
	case c.Unknown != "":
		return "unknown: " + c.Unknown
	case c.Compliant:
		return "compliant"
	}
	parts := make([]string, len(c.Unmet))
	for i, u := range c.Unmet {
		parts[i] = u.String()
	}
	what := "will be refused"
	if c.Mode != "enforce" {
		what = "warned"
	}
	return "not compliant (" + what + "): " + strings.Join(parts, ", ")
}
