package iampolicy

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one IAM policy statement. Resource is omitted in trust
// policies, where Principal says who; NotResource replaces Resource in a
// Deny that covers everything but the listed resources.
type Statement struct {
	Sid         string              `json:"Sid"`
	Effect      string              `json:"Effect"`
	Principal   map[string]string   `json:"Principal,omitempty"`
	Action      []string            `json:"Action"`
	Resource    []string            `json:"Resource,omitempty"`
	NotResource []string            `json:"NotResource,omitempty"`
	Condition   map[string]Operands `json:"Condition,omitempty"`
}

// Operands maps condition keys to their values under one operator
// (StringEquals, Null, ...). A value is a string or a list of strings.
type Operands map[string]any

// policyVersion is the only IAM policy language version with policy
// variables such as ${aws:PrincipalTag/user}.
const policyVersion = "2012-10-17"

// with adds an operator's key to a condition, creating what is missing.
func (s *Statement) with(op, key string, value any) {
	if s.Condition == nil {
		s.Condition = map[string]Operands{}
	}
	if s.Condition[op] == nil {
		s.Condition[op] = Operands{}
	}
	s.Condition[op][key] = value
}
