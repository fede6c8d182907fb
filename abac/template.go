package abac

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// sample is the identity templates are tried on at load time, so a template
// naming a field that does not exist fails in validation, not at an open.
var sample = Identity{Subject: "s", Username: "u", Email: "u@example.com", Groups: []string{"g"}, Claims: map[string]any{}}

// value is a mapping string that may hold a template over the identity. The
// common forms, literal text and plain fields ({{.Username}},
// {{.Claims.department}}), render without text/template, which keeps
// evaluation of large mappings fast; anything else falls back to it.
type value struct {
	name  string
	parts []part             // the fast form, when the template is that simple
	tmpl  *template.Template // otherwise
}

type part struct {
	lit   string
	field []string // nil for a literal; else e.g. ["Username"] or ["Claims", "realm_access", "roles"]
}

func compileValue(name, text string) (*value, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("template for %q does not parse: %s", name, trimTemplateErr(err))
	}
	var b strings.Builder
	if err := t.Execute(&b, sample); err != nil && !strings.Contains(err.Error(), "map has no entry for key") {
		return nil, fmt.Errorf("template for %q: %s (fields: .Username .Email .Subject .Claims.<name>)", name, trimTemplateErr(err))
	}
	v := &value{name: name, tmpl: t}
	if parts, ok := fastParts(t); ok {
		v.parts, v.tmpl = parts, nil
	}
	return v, nil
}

// literal reports whether the value has no template in it.
func (v *value) literal() (string, bool) {
	if v.tmpl != nil || len(v.parts) > 1 || len(v.parts) == 1 && v.parts[0].field != nil {
		return "", false
	}
	if len(v.parts) == 0 {
		return "", true
	}
	return v.parts[0].lit, true
}

func fastParts(t *template.Template) ([]part, bool) {
	if t.Tree == nil || t.Tree.Root == nil {
		return nil, true
	}
	var parts []part
	for _, n := range t.Tree.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			parts = append(parts, part{lit: string(n.Text)})
		case *parse.ActionNode:
			if n.Pipe == nil || len(n.Pipe.Decl) > 0 || len(n.Pipe.Cmds) != 1 || len(n.Pipe.Cmds[0].Args) != 1 {
				return nil, false
			}
			f, ok := n.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || !knownField(f.Ident) {
				return nil, false
			}
			parts = append(parts, part{field: f.Ident})
		default:
			return nil, false
		}
	}
	return parts, true
}

func knownField(ident []string) bool {
	switch ident[0] {
	case "Username", "Email", "Subject":
		return len(ident) == 1
	case "Claims":
		return len(ident) >= 2
	}
	return false
}

// render produces the value for one identity. A value AWS would refuse as a
// tag value is refused here too, never changed to fit: a changed value could
// be someone else's ("alice " or "alice!" must not become "alice").
func (v *value) render(id Identity) (string, error) {
	if len(v.parts) == 1 {
		// The common case, {{.Username}} or a literal: no builder needed.
		s, err := v.parts[0].lit, error(nil)
		if v.parts[0].field != nil {
			s, err = fieldValue(id, v.parts[0].field)
		}
		if err != nil {
			return "", fmt.Errorf("%q: %w", v.name, err)
		}
		return checked(v.name, s)
	}
	var b strings.Builder
	if v.tmpl != nil {
		if err := v.tmpl.Execute(&b, id); err != nil {
			return "", fmt.Errorf("%q: %s", v.name, trimTemplateErr(err))
		}
	} else {
		for _, p := range v.parts {
			if p.field == nil {
				b.WriteString(p.lit)
				continue
			}
			s, err := fieldValue(id, p.field)
			if err != nil {
				return "", fmt.Errorf("%q: %w", v.name, err)
			}
			b.WriteString(s)
		}
	}
	return checked(v.name, b.String())
}

func checked(name, s string) (string, error) {
	if problem := TagValueProblem(s); problem != "" {
		return "", &ValueError{Name: name, Value: s, Problem: problem}
	}
	return s, nil
}

func fieldValue(id Identity, f []string) (string, error) {
	switch f[0] {
	case "Username":
		return id.Username, nil
	case "Email":
		return id.Email, nil
	case "Subject":
		return id.Subject, nil
	}
	var cur any = id.Claims
	for _, k := range f[1:] {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", fmt.Errorf("claim %s is not an object", strings.Join(f[1:], "."))
		}
		if cur, ok = m[k]; !ok {
			return "", fmt.Errorf("claim %s is missing", strings.Join(f[1:], "."))
		}
	}
	switch c := cur.(type) {
	case string:
		return c, nil
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(c), nil
	}
	return "", fmt.Errorf("claim %s is a %T, not a single value", strings.Join(f[1:], "."), cur)
}

func trimTemplateErr(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "template: ") {
		return msg[i+2:]
	}
	return msg
}

// TagValueProblem says why s cannot be an AWS tag value as it is, or returns
// "" when it can. AWS allows 0–256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@]
// (STS Tag and SageMaker Tag, the same rule). Three checks are stricter than
// AWS on purpose: the empty value (it would match untagged resources), a
// value that starts or ends with a space (consoles and scripts trim tags, and
// "alice " must not become "alice" anywhere along the way) and the length,
// counted in UTF-16 code units as Java does, so a letter outside the Basic
// Multilingual Plane counts twice and no reading of "256 characters" fails.
func TagValueProblem(s string) string {
	if s == "" {
		return "is empty"
	}
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	n := 0
	for _, r := range s {
		if !tagRuneOK(r) {
			return fmt.Sprintf("has the character %U %s, and AWS allows only letters, digits, spaces and _ . : / = + - @ in a tag", r, strconv.QuoteRune(r))
		}
		n += utf16.RuneLen(r)
	}
	if n > MaxTagValueLen {
		return fmt.Sprintf("is %d characters long, more than the %d AWS allows in a tag", n, MaxTagValueLen)
	}
	first, _ := utf8.DecodeRuneInString(s)
	last, _ := utf8.DecodeLastRuneInString(s)
	if unicode.Is(unicode.Z, first) || unicode.Is(unicode.Z, last) {
		return "starts or ends with a space"
	}
	return ""
}

// tagRuneOK is AWS's tag character class: \p{L}, \p{Z}, \p{N} and _.:/=+-@.
func tagRuneOK(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Z, r) || unicode.IsNumber(r) ||
		strings.ContainsRune("_.:/=+-@", r)
}

// ValueError is a template value that rendered, for one identity, to
// something that cannot be used as it is (see TagValueProblem). The identity
// is refused for that team rather than given a changed value, since a
// changed value could name another person.
type ValueError struct {
	Name    string // the tag, selector or name the value is for
	Value   string // as rendered for the identity
	Problem string // what is wrong with it, in words a person can act on
}

func (e *ValueError) Error() string {
	return fmt.Sprintf("%q would be %s, which %s", e.Name, shortQuote(e.Value), e.Problem)
}

// shortQuote quotes a value for a message, cut so that a 16 KB claim does not
// fill a page; %q escapes control and invisible characters, which is the
// point when one of them is the problem.
func shortQuote(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:max])) + "…"
}
