package abac

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
	"unicode/utf8"
)

// errEmptyValue marks a rendered value that came out empty: a selector or tag
// that silently became "" could match untagged resources, so it denies.
var errEmptyValue = errors.New("rendered to an empty value")

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

// render produces the value for one identity and makes it safe as an AWS tag
// value: characters AWS refuses become '_' and the value is cut to 256
// characters, so a claim cannot smuggle in anything but plain text.
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
		return sanitized(v.name, s)
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
	return sanitized(v.name, b.String())
}

func sanitized(name, s string) (string, error) {
	out := SanitizeTagValue(s)
	if out == "" {
		return "", fmt.Errorf("%q %w", name, errEmptyValue)
	}
	return out, nil
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

// SanitizeTagValue maps s onto the characters AWS allows in tag values and
// cuts it to the maximum length.
func SanitizeTagValue(s string) string {
	if tagValueOK(s) {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == MaxTagValueLen {
			break
		}
		if !tagRuneOK(r) {
			r = '_'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// tagValueOK reports whether s is already a clean tag value, the usual case,
// so SanitizeTagValue can return it without copying.
func tagValueOK(s string) bool {
	if len(s) > MaxTagValueLen || s != strings.TrimSpace(s) {
		return false
	}
	for _, r := range s {
		if !tagRuneOK(r) {
			return false
		}
	}
	return true
}

func tagRuneOK(r rune) bool {
	if r == utf8.RuneError {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) ||
		r == ' ' || strings.ContainsRune("_.:/=+-@", r)
}
