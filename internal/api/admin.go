package api

import (
	"time"

	"github.com/secds/secds/abac"
)

// VersionInfo describes one mapping version in admin API answers.
type VersionInfo struct {
	Version int64     `json:"version"`
	Digest  string    `json:"digest"`
	ETag    string    `json:"etag"`
	Author  string    `json:"author,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Time    time.Time `json:"time"`
	Size    int       `json:"size"`
	// Unverified says why the history record is not trusted: it cannot be
	// read or rolled back to.
	Unverified string `json:"unverified,omitempty"`
}

// MappingDoc is a mapping version as JSON, for clients that ask for JSON
// (Accept: application/json) rather than the raw YAML.
type MappingDoc struct {
	VersionInfo
	Serving int64  `json:"serving"`
	Content string `json:"content"`
}

// MappingBody is a mapping sent as JSON (Content-Type: application/json),
// for clients that cannot send raw YAML or set If-Match; the header, when
// present, wins over IfMatch.
type MappingBody struct {
	Content string `json:"content"`
	IfMatch string `json:"if_match,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// MappingProblem is one mistake in a mapping.
type MappingProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
	Text    string `json:"text"` // file:line:col: message
}

// ValidateResponse is POST /api/v1/admin/mapping/validate.
type ValidateResponse struct {
	Valid    bool             `json:"valid"`
	Problems []MappingProblem `json:"problems"`
	Teams    []string         `json:"teams,omitempty"`
}

// HistoryResponse is GET /api/v1/admin/mapping/history, newest first.
type HistoryResponse struct {
	Serving  int64         `json:"serving"` // the version the broker serves
	Latest   int64         `json:"latest"`
	Valid    bool          `json:"valid"` // latest == serving
	Versions []VersionInfo `json:"versions"`
}

// ImportRequest is the body of POST /api/v1/admin/mapping/import: another
// store's history (a file store's history directory, as secds admin
// mapping import reads it), oldest or newest first.
type ImportRequest struct {
	IfMatch        string          `json:"if_match,omitempty"` // as the If-Match header; required
	SkipUnverified bool            `json:"skip_unverified,omitempty"`
	Versions       []ImportVersion `json:"versions"`
}

// ImportVersion is one history record and its content.
type ImportVersion struct {
	Version int64     `json:"version"`
	Digest  string    `json:"digest"`
	Author  string    `json:"author,omitempty"`
	Reason  string    `json:"reason,omitempty"`
	Time    time.Time `json:"time"`
	Size    int       `json:"size"`
	MAC     string    `json:"mac,omitempty"`
	Content string    `json:"content"`
}

// ImportResponse says what an import did: each record's new version, the
// records left out, and the current version (whose content is what was
// served before).
type ImportResponse struct {
	VersionInfo
	Imported []ImportedVersion `json:"imported"`
	Skipped  []SkippedVersion  `json:"skipped,omitempty"`
}

// ImportedVersion maps a record to the version it became.
type ImportedVersion struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// SkippedVersion is a record left out of an import, and why.
type SkippedVersion struct {
	Version int64  `json:"version"`
	Why     string `json:"why"`
}

// RollbackRequest is the body of POST /api/v1/admin/mapping/rollback.
type RollbackRequest struct {
	Version int64  `json:"version"`
	IfMatch string `json:"if_match,omitempty"` // as the If-Match header
}

// ExplainRequest is the body of POST /api/v1/admin/explain: a person as
// their identity provider would describe them. Username, email and groups go
// where the broker's claim paths read them, over Claims (any other claims,
// or a whole ID token's), and the result is read exactly as at sign-in.
type ExplainRequest struct {
	Subject  string         `json:"sub,omitempty"`
	Username string         `json:"username,omitempty"`
	Email    string         `json:"email,omitempty"`
	Groups   []string       `json:"groups,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
	// Notebooks also lists the notebooks the person would be offered. It
	// assumes each team role with the person's session tags but in the
	// admin's name (CloudTrail shows the admin as SourceIdentity and
	// RoleSessionName, with user=<person> among the tags), so it is asked
	// for, not done by default.
	Notebooks bool `json:"notebooks,omitempty"`
}

// ExplainResponse says which teams the person gets and why, per team.
type ExplainResponse struct {
	Identity         abac.Identity          `json:"identity"`
	Admin            bool                   `json:"admin"`
	MappingVersion   int64                  `json:"mapping_version"`
	Granted          []string               `json:"granted"`
	Teams            []abac.TeamExplanation `json:"teams"`
	Notebooks        []Notebook             `json:"notebooks,omitempty"`
	NotebooksProblem *Problem               `json:"notebooks_problem,omitempty"`
	// Studios are the SageMaker Studio targets they would be offered.
	Studios []Studio `json:"studios,omitempty"`
}

// RevokeRequest is the body of POST /api/v1/admin/tokens/revoke: one of the
// two.
type RevokeRequest struct {
	Username string `json:"username,omitempty"`
	Subject  string `json:"subject,omitempty"`
}

// RevokeResponse says what was revoked.
type RevokeResponse struct {
	Username      string    `json:"username,omitempty"`
	Subject       string    `json:"subject,omitempty"`
	RevokedBefore time.Time `json:"revoked_before"`
}
