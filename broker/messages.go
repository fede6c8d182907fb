package broker

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/secds/secds/abac"
)

// The helpers below word the refusals people read; they name the teams and
// tags involved so the fix is plain.

func teamList(grants []abac.Grant) []string {
	names := make([]string, len(grants))
	for i, g := range grants {
		names[i] = g.Team
	}
	return names
}

func teamNames(grants []abac.Grant) string {
	return strings.Join(teamList(grants), ", ")
}

func describeSelectors(grants []abac.Grant) string {
	parts := make([]string, 0, len(grants))
	for _, g := range grants {
		p := "team " + g.Team + " opens notebooks tagged " + formatTags(g.NotebookTags)
		if len(g.NotebookNames) > 0 {
			p += " named " + strings.Join(g.NotebookNames, " or ")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func formatTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + tags[k]
	}
	return strings.Join(parts, ", ")
}

func orAsk(m *abac.Mapping) string {
	if m.Support != "" {
		return m.Support
	}
	return "Ask your platform team."
}

func notebookNames(nbs []Notebook) string {
	names := make([]string, len(nbs))
	for i, nb := range nbs {
		names[i] = nb.Name + " (team " + nb.Team + ")"
	}
	return strings.Join(names, ", ")
}

// quote shows a value a person gave us, escaped so that a tab or an
// invisible character is seen, and cut so a huge claim does not fill a page.
func quote(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:max])) + "…"
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
