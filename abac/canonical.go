package abac

import (
	"strings"
	"text/template"
)

// CanonicalValue returns a mapping value (a session tag, a notebook selector
// tag or a notebook name, as written in the mapping) in one spelling per
// meaning, for tools that translate the mapping into another policy
// language, such as the IAM policy generator: literal is true when s holds
// no template, and text is then s itself; otherwise text is the template as
// text/template prints it back, so "{{ .Username }}" and "{{.Username}}"
// compare equal. Two values with the same canonical text render alike for
// every identity. A value that does not parse is returned as it is, as a
// template (Parse refuses such a mapping anyway).
func CanonicalValue(s string) (text string, literal bool) {
	if !strings.Contains(s, "{{") {
		return s, true
	}
	t, err := template.New("value").Parse(s)
	if err != nil || t.Tree == nil || t.Tree.Root == nil {
		return s, false
	}
	return t.Tree.Root.String(), false
}
