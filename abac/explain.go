package abac

import (
	"fmt"
	"strings"
)

// TeamExplanation says why one team did or did not match an identity.
type TeamExplanation struct {
	Team     string            `json:"team"`
	Matched  bool              `json:"matched"` // a match rule matched and no exclude rule did
	Granted  bool              `json:"granted"` // ... and the grant rendered
	Reason   string            `json:"reason"`
	Rules    []RuleExplanation `json:"rules"`
	Excludes []RuleExplanation `json:"excludes,omitempty"`
	Grant    *Grant            `json:"grant,omitempty"`
}

// RuleExplanation is one rule checked against one identity.
type RuleExplanation struct {
	Index      int               `json:"index"`
	Matched    bool              `json:"matched"`
	Conditions []ConditionResult `json:"conditions"`
}

// Explain checks every team against the identity, rule by rule, without the
// index, so admins see why each team matched or not. It decides exactly as
// Evaluate does; the tests hold the two to that.
func (m *Mapping) Explain(id Identity) []TeamExplanation {
	out := make([]TeamExplanation, 0, len(m.Teams))
	for i := range m.Teams {
		out = append(out, m.Teams[i].explain(id))
	}
	return out
}

func (t *Team) explain(id Identity) TeamExplanation {
	e := TeamExplanation{Team: t.Name}
	matchedBy, excludedBy := -1, -1
	for i := range t.Match {
		ok, conds := t.Match[i].explain(id)
		e.Rules = append(e.Rules, RuleExplanation{Index: i, Matched: ok, Conditions: conds})
		if ok && matchedBy < 0 {
			matchedBy = i
		}
	}
	for i := range t.Exclude {
		ok, conds := t.Exclude[i].explain(id)
		e.Excludes = append(e.Excludes, RuleExplanation{Index: i, Matched: ok, Conditions: conds})
		if ok && excludedBy < 0 {
			excludedBy = i
		}
	}
	switch {
	case matchedBy < 0:
		e.Reason = "no match rule holds: " + whyNot(e.Rules)
	case excludedBy >= 0:
		e.Reason = fmt.Sprintf("match rule %d holds, but exclude rule %d (%s) wins", matchedBy+1, excludedBy+1, describeRule(&t.Exclude[excludedBy]))
	default:
		e.Matched = true
		g, err := t.grant(id)
		if err != nil {
			e.Reason = fmt.Sprintf("match rule %d holds, but the grant cannot be rendered: %v", matchedBy+1, err)
			break
		}
		e.Granted, e.Grant = true, &g
		e.Reason = fmt.Sprintf("match rule %d holds (%s)", matchedBy+1, describeRule(&t.Match[matchedBy]))
	}
	return e
}

// whyNot names the first failing condition of each rule.
func whyNot(rules []RuleExplanation) string {
	var parts []string
	for _, r := range rules {
		for _, c := range r.Conditions {
			if !c.Matched {
				parts = append(parts, fmt.Sprintf("rule %d: %s (%s)", r.Index+1, c.Condition, c.Detail))
				break
			}
		}
	}
	if len(parts) == 0 {
		return "the team has no rules"
	}
	return strings.Join(parts, "; ")
}
