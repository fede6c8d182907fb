package abac

import "text/template"

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
}

// Defaults apply to every team that leaves the field unset.
type Defaults struct {
	RoleSessionSeconds     int `yaml:"role_session_seconds"`
	NotebookSessionSeconds int `yaml:"notebook_session_seconds"`
}

// Team is one entry of the mapping: who belongs to it and what it may open.
type Team struct {
	Name                   string            `yaml:"name"`
	Description            string            `yaml:"description"`
	Match                  []Rule            `yaml:"match"`
	RoleARN                string            `yaml:"role_arn"`
	SessionTags            map[string]string `yaml:"session_tags"`
	RoleSessionSeconds     int               `yaml:"role_session_seconds"`
	NotebookSessionSeconds int               `yaml:"notebook_session_seconds"`
	Notebooks              NotebookSelector  `yaml:"notebooks"`

	tagTemplates      map[string]*template.Template
	selectorTemplates map[string]*template.Template
}

// Rule is an AND of conditions; a team matches when any of its rules does.
type Rule struct {
	// Groups matches when the identity is in any of these groups.
	Groups []string `yaml:"groups"`
}

// NotebookSelector picks the notebook instances a team member may open: every
// tag must be present on the notebook with exactly the rendered value.
type NotebookSelector struct {
	Tags map[string]string `yaml:"tags"`
}
