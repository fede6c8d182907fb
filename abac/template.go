package abac

import (
	"errors"
	"fmt"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"
)

// errEmptyValue marks a rendered value that came out empty: a selector or tag
// that silently became "" could match untagged resources, so it denies.
var errEmptyValue = errors.New("rendered to an empty value")

// sample is the identity templates are tried on at load time, so a template
// naming a field that does not exist fails in validation, not at an open.
var sample = Identity{Subject: "s", Username: "u", Email: "u@example.com", Groups: []string{"g"}, Claims: map[string]any{}}

func compileValue(key, value string) (*template.Template, error) {
	t, err := template.New(key).Option("missingkey=error").Parse(value)
	if err != nil {
		return nil, fmt.Errorf("template for %q does not parse: %s", key, trimTemplateErr(err))
	}
	var b strings.Builder
	if err := t.Execute(&b, sample); err != nil && !strings.Contains(err.Error(), "map has no entry for key") {
		return nil, fmt.Errorf("template for %q: %s (fields: .Username .Email .Subject .Groups .Claims)", key, trimTemplateErr(err))
	}
	return t, nil
}

func trimTemplateErr(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "template: ") {
		return msg[i+2:]
	}
	return msg
}

// render executes a value template for one identity and makes the result safe
// as an AWS tag value: characters AWS refuses become '_' and the value is cut
// to 256 characters, so a claim cannot smuggle in anything but plain text.
func render(t *template.Template, id Identity) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, id); err != nil {
		return "", fmt.Errorf("tag %q: %s", t.Name(), trimTemplateErr(err))
	}
	v := SanitizeTagValue(b.String())
	if v == "" {
		return "", fmt.Errorf("tag %q: %w", t.Name(), errEmptyValue)
	}
	return v, nil
}

// SanitizeTagValue maps s onto the characters AWS allows in tag values and
// cuts it to the maximum length.
func SanitizeTagValue(s string) string {
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

func tagRuneOK(r rune) bool {
	if r == utf8.RuneError {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsNumber(r) ||
		r == ' ' || strings.ContainsRune("_.:/=+-@", r)
}
