package broker

import (
	"fmt"
	"regexp"
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

// Advice for each kind of refusal. The mapping's support text says how to
// join a team ("Ask the data platform team (#ds-platform) to add you to a
// team."), which fits only a person without one; the other refusals name the
// same contact with words of their own (SupportContact).

// askRE finds whom a support text asks people to turn to: "Ask X to ...",
// "Contact X for ...".
var askRE = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:ask|contact|write to|message)\s+(.+?)\s+(?:to|for|about|if|with)\s`)

// SupportContact is whom the mapping's support text asks people to turn to
// ("the data platform team (#ds-platform)"), or "the platform team" when it
// names no one in a way that can be read back.
func SupportContact(m *abac.Mapping) string {
	if m != nil {
		if sm := askRE.FindStringSubmatch(m.Support); sm != nil {
			return sm[1]
		}
	}
	return "the platform team"
}

// contactNote is the support text itself where SupportContact could not
// read a contact out of it (so it is not lost), else "".
func contactNote(m *abac.Mapping) string {
	if m == nil || m.Support == "" || askRE.MatchString(m.Support) {
		return ""
	}
	return " " + m.Support
}

// CreateAdvice tells a team member without a notebook who creates them.
func CreateAdvice(m *abac.Mapping) string {
	return "Notebooks are created by the platform team, not in secds: ask " + SupportContact(m) + " to create one for you." + contactNote(m)
}

// StartAdvice tells a person whose notebook is not running, and whose team
// does not let secds start it (start_stopped), who can: data scientists
// have no console. name is the notebook, or "" for a page listing several.
func StartAdvice(m *abac.Mapping, name string) string {
	if name == "" {
		return "secds starts a stopped notebook only for teams that allow it: to use one marked Not running, ask " + SupportContact(m) + " to start it, then open it here once it is running." + contactNote(m)
	}
	return "secds starts a stopped notebook only for teams that allow it: ask " + SupportContact(m) + " to start " + name + ", then open it again once it is running (InService)." + contactNote(m)
}

// joinAdvice tells a person without a team how to join one: the mapping's
// support text, written for exactly that.
func joinAdvice(m *abac.Mapping) string { return orAsk(m) }

// notYoursAdvice says what a person may open instead of a notebook that is
// not theirs: their own, or, with none, who creates one.
func notYoursAdvice(m *abac.Mapping, grants []abac.Grant, yours []Notebook) string {
	if len(yours) == 0 {
		return fmt.Sprintf("No notebook is set up for you yet (%s). %s", describeSelectors(grants), CreateAdvice(m))
	}
	return "You can open " + notebookNames(yours) + "; check the link, or open the start page to pick one of yours."
}

// otherTeamAdvice names the teams a person is in, when they asked for
// another.
func otherTeamAdvice(team string, grants []abac.Grant) string {
	what := "your team is "
	if len(grants) > 1 {
		what = "your teams are "
	}
	return fmt.Sprintf("You are not a member of team %s; %s%s. Open a notebook of yours from the start page.", team, what, teamNames(grants))
}
