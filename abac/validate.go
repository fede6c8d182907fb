package abac

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// validator checks a decoded mapping and remembers every problem with the
// position of the YAML node it is about.
type validator struct {
	file     string
	root     *yaml.Node
	problems Problems
}

// at reports a problem at the node reached by path (map keys and list
// indexes); when the path does not exist it falls back to the nearest parent.
func (v *validator) at(msg string, path ...any) {
	n := lookup(v.root, path)
	v.problems = append(v.problems, Problem{File: v.file, Line: n.Line, Column: n.Column, Message: msg})
}

func lookup(n *yaml.Node, path []any) *yaml.Node {
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, p := range path {
		next := child(n, p)
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

func child(n *yaml.Node, p any) *yaml.Node {
	switch key := p.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && key < len(n.Content) {
			return n.Content[key]
		}
	}
	return nil
}

func (v *validator) mapping(m *Mapping) {
	if m.Version != 1 {
		v.at(fmt.Sprintf("version must be 1, got %d", m.Version), "version")
	}
	if m.Defaults.RoleSessionSeconds == 0 {
		m.Defaults.RoleSessionSeconds = defaultRoleSessionSeconds
	}
	if m.Defaults.NotebookSessionSeconds == 0 {
		m.Defaults.NotebookSessionSeconds = defaultNotebookSessionSeconds
	}
	v.durations(m.Defaults.RoleSessionSeconds, m.Defaults.NotebookSessionSeconds, "defaults")
	if len(m.Teams) == 0 {
		v.at("no teams: nobody could open a notebook", "teams")
	}
	seen := map[string]int{}
	for i := range m.Teams {
		t := &m.Teams[i]
		if j, dup := seen[strings.ToLower(t.Name)]; dup {
			v.at(fmt.Sprintf("duplicate team name %q (first at team %d)", t.Name, j+1), "teams", i, "name")
		}
		seen[strings.ToLower(t.Name)] = i
		v.team(t, m.Defaults, i)
	}
	v.requirements(m)
}

func (v *validator) durations(role, notebook int, path ...any) {
	if role != 0 && (role < MinRoleSessionSeconds || role > MaxRoleSessionSeconds) {
		v.at(fmt.Sprintf("role_session_seconds must be %d–%d (AWS AssumeRole), got %d", MinRoleSessionSeconds, MaxRoleSessionSeconds, role), append(path, "role_session_seconds")...)
	}
	if notebook != 0 && (notebook < MinNotebookSessionSeconds || notebook > MaxNotebookSessionSeconds) {
		v.at(fmt.Sprintf("notebook_session_seconds must be %d–%d (SageMaker), got %d", MinNotebookSessionSeconds, MaxNotebookSessionSeconds, notebook), append(path, "notebook_session_seconds")...)
	}
}

func (v *validator) team(t *Team, d Defaults, i int) {
	p := func(rest ...any) []any { return append([]any{"teams", i}, rest...) }
	if !teamNameRE.MatchString(t.Name) {
		v.at(fmt.Sprintf("team name %q must be 1–64 letters, digits, '-', '_' or '.', starting with a letter or digit", t.Name), p("name")...)
	}
	if len(t.Match) == 0 {
		v.at(fmt.Sprintf("team %q has no match rules: nobody would belong to it", t.Name), p("match")...)
	}
	for j := range t.Match {
		v.rule(&t.Match[j], p("match", j)...)
	}
	for j := range t.Exclude {
		v.rule(&t.Exclude[j], p("exclude", j)...)
	}
	if !roleARNRE.MatchString(t.RoleARN) {
		v.at(fmt.Sprintf("role_arn %q is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)", t.RoleARN), p("role_arn")...)
	}
	v.durations(t.RoleSessionSeconds, t.NotebookSessionSeconds, p()...)
	if t.RoleSessionSeconds == 0 {
		t.RoleSessionSeconds = d.RoleSessionSeconds
	}
	if t.NotebookSessionSeconds == 0 {
		t.NotebookSessionSeconds = d.NotebookSessionSeconds
	}
	if t.StartStopped == nil {
		start := d.StartStopped
		t.StartStopped = &start
	}
	// The broker adds team and user to every session, so at most 48 are left.
	if n := len(t.SessionTags) + len(reservedTags); n > MaxSessionTags {
		v.at(fmt.Sprintf("%d session tags with team and user; STS allows %d", n, MaxSessionTags), p("session_tags")...)
	}
	t.tagValues = v.tags(t.SessionTags, true, p("session_tags")...)
	for j, k := range t.TransitiveTagKeys {
		if _, ok := t.SessionTags[k]; !ok && !reservedTags[k] {
			v.at(fmt.Sprintf("transitive tag key %q is not a session tag of this team (team, user or one of session_tags)", k), p("transitive_tag_keys", j)...)
		}
	}
	if sel, ok := t.Notebooks.Tags["team"]; ok && sel != t.Name {
		v.at(fmt.Sprintf("notebooks.tags.team must be the team name %q (the team's IAM policy requires exactly that value)", t.Name), p("notebooks", "tags", "team")...)
	}
	t.selectorValues = v.tags(t.Notebooks.Tags, false, p("notebooks", "tags")...)
	for j, n := range t.Notebooks.Names {
		val, err := compileValue("notebook name", n)
		if err != nil {
			v.at(err.Error(), p("notebooks", "names", j)...)
			continue
		}
		if lit, ok := val.literal(); ok && !notebookNameRE.MatchString(lit) {
			v.at(fmt.Sprintf("notebook name %q can never match: names are 1–63 letters, digits and hyphens", n), p("notebooks", "names", j)...)
		}
		t.nameValues = append(t.nameValues, val)
	}
	if t.Studio != nil {
		t.studio = v.studio(t.Studio, p("studio")...)
	}
}

func (v *validator) rule(r *Rule, path ...any) {
	if r.conditions() == 0 {
		v.at("a rule needs at least one condition (subjects, groups, claims or email_domains)", path...)
	}
	for k, s := range r.Subjects {
		if msg := subjectProblem(s); msg != "" {
			v.at(msg, append(path, "subjects", k)...)
		}
	}
	for k, g := range r.Groups {
		if strings.TrimSpace(g) == "" {
			v.at("empty group name", append(path, "groups", k)...)
		}
	}
	for k := range r.Claims {
		c := &r.Claims[k]
		at := append(path, "claims", k)
		if strings.TrimSpace(c.Path) == "" {
			v.at("a claim condition needs a path", at...)
		}
		if DroppedClaim(c.Path) {
			v.at(fmt.Sprintf("claim %q describes the ID token, not the person: the broker checks it at sign-in and does not keep it, so this condition could never match", c.Path), append(at, "path")...)
		}
		if len(c.Equals)+len(c.Glob) == 0 {
			v.at(fmt.Sprintf("claim condition on %q needs equals or glob values", c.Path), at...)
		}
		for m, g := range c.Glob {
			switch {
			case strings.Trim(g, "*") == "":
				v.at(fmt.Sprintf("glob %q matches any value; say what you mean with a real pattern", g), append(at, "glob", m)...)
			case utf8.RuneCountInString(g) > MaxGlobLen:
				v.at(fmt.Sprintf("glob %q is longer than %d characters", clipText(g, 40), MaxGlobLen), append(at, "glob", m)...)
			case strings.Count(g, "*") > MaxGlobStars:
				v.at(fmt.Sprintf("glob %q has %d stars; at most %d are allowed", clipText(g, 40), strings.Count(g, "*"), MaxGlobStars), append(at, "glob", m)...)
			}
		}
	}
	for k, d := range r.EmailDomains {
		if !emailDomainRE.MatchString(d) {
			v.at(fmt.Sprintf("email domain %q is not a domain name (no @, no spaces)", d), append(path, "email_domains", k)...)
		}
	}
}

// subjectProblem says what is wrong with a subject in a rule, or "". A
// subject is compared exactly, so a stray space from a copy and paste would
// silently never match.
func subjectProblem(s string) string {
	switch {
	case s == "":
		return "empty subject"
	case len(s) > MaxSubjectLen:
		return fmt.Sprintf("subject %q is longer than the %d characters OpenID Connect allows", clipText(s, 40), MaxSubjectLen)
	case strings.TrimSpace(s) != s:
		return fmt.Sprintf("subject %q starts or ends with white space; subjects are compared exactly", s)
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return fmt.Sprintf("subject %q contains a control character", s)
	}
	return ""
}

// clipText cuts s to at most n runes for a message.
func clipText(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

// tags checks tag keys and compiles the values as templates.
func (v *validator) tags(tags map[string]string, session bool, path ...any) map[string]*value {
	out := make(map[string]*value, len(tags))
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lower := map[string]bool{}
	for _, k := range keys {
		at := append(path, k)
		switch lk := strings.ToLower(k); {
		case k == "" || utf8.RuneCountInString(k) > MaxTagKeyLen:
			v.at(fmt.Sprintf("tag key %q must be 1–%d characters", k, MaxTagKeyLen), at...)
		case !tagCharsRE.MatchString(k):
			v.at(fmt.Sprintf("tag key %q has characters AWS does not allow (letters, digits, spaces and _.:/=+-@)", k), at...)
		case strings.HasPrefix(lk, "aws:"):
			v.at(fmt.Sprintf("tag key %q uses the reserved aws: prefix", k), at...)
		case session && reservedTags[lk]:
			v.at(fmt.Sprintf("session tag %q is set by the broker itself", k), at...)
		case lower[lk]:
			v.at(fmt.Sprintf("tag key %q repeats another key (tag keys are case-insensitive)", k), at...)
		}
		lower[strings.ToLower(k)] = true
		val, err := compileValue(k, tags[k])
		if err != nil {
			v.at(err.Error(), at...)
			continue
		}
		if lit, ok := val.literal(); ok {
			if problem := TagValueProblem(lit); problem != "" {
				v.at(fmt.Sprintf("tag %q has value %q, which AWS would never store: it %s", k, lit, problem), at...)
			}
		}
		out[k] = val
	}
	return out
}
