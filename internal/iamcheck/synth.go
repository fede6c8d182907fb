package iamcheck

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/secds/secds/abac"
)

// Synthesize builds the matrix for a mapping from the mapping alone, so an
// admin can check a file under review with no directory and no account:
//
//   - identities: one per match rule of every team (and a second one, a
//     teammate, for each team's first rule), one that also meets each
//     exclude rule, awkward usernames (a space, non-Latin letters, an email,
//     an apostrophe AWS would not take, a case variant of a member) and
//     someone in no team;
//   - notebooks: for every member and team, the notebook the team's
//     selector gives them, and variants that must be refused: each selector
//     tag changed, or under a key in other letter case (alone or beside
//     the key carrying someone else's value), the team tag
//     missing or in another case, a name the selector does not list; plus
//     an untagged notebook.
func Synthesize(m *abac.Mapping) ([]abac.Identity, []Notebook) {
	s := &synth{m: m, refs: m.References(), users: map[string]bool{}}
	for ti := range m.Teams {
		t := &m.Teams[ti]
		for ri := range t.Match {
			s.add(fmt.Sprintf("%s-member%d", t.Name, ri+1), &t.Match[ri])
		}
		if len(t.Match) > 0 {
			s.add(t.Name+"-teammate", &t.Match[0])
		}
		for ei := range t.Exclude {
			if len(t.Match) > 0 {
				s.add(fmt.Sprintf("%s-excluded%d", t.Name, ei+1), &t.Match[0], &t.Exclude[ei])
			}
		}
	}
	if len(m.Teams) > 0 && len(m.Teams[0].Match) > 0 {
		first := &m.Teams[0].Match[0]
		for _, u := range []string{"Mary Ann", "李雷", "ann@corp.example", "o'brien", strings.ToUpper(m.Teams[0].Name) + "-MEMBER1"} {
			s.add(u, first)
		}
	}
	s.add("nobody", nil)
	return s.ids, s.notebooks()
}

type synth struct {
	m     *abac.Mapping
	refs  abac.References
	ids   []abac.Identity
	users map[string]bool
}

// add makes an identity that meets every given rule.
func (s *synth) add(username string, rules ...*abac.Rule) {
	if s.users[username] {
		return
	}
	s.users[username] = true
	id := abac.Identity{
		Subject:  "sub-" + fmt.Sprint(len(s.ids)+1),
		Username: username,
		Email:    emailLocal(username) + "@example.com",
		Claims:   map[string]any{},
	}
	for _, r := range rules {
		if r == nil {
			continue
		}
		if len(r.Subjects) > 0 {
			id.Subject = r.Subjects[0]
		}
		if len(r.Groups) > 0 {
			id.Groups = append(id.Groups, r.Groups[0])
		}
		for _, c := range r.Claims {
			v := "x"
			switch {
			case len(c.Equals) > 0:
				v = c.Equals[0]
			case len(c.Glob) > 0:
				v = strings.NewReplacer("*", "x", "?", "x").Replace(c.Glob[0])
			}
			setClaim(id.Claims, c.Path, v)
		}
		if len(r.EmailDomains) > 0 {
			id.Email = emailLocal(username) + "@" + r.EmailDomains[0]
			id.Claims["email_verified"] = true
		}
	}
	// What templates read must be there, or no team renders for the person.
	for _, path := range s.refs.Claims {
		if _, ok := claimAt(id.Claims, path); !ok {
			setClaim(id.Claims, path, "v-"+strings.ReplaceAll(path, ".", "-"))
		}
	}
	s.ids = append(s.ids, id)
}

func emailLocal(username string) string {
	local, _, _ := strings.Cut(username, "@")
	if l := notebookSafe(local); l != "" {
		return l
	}
	return "user"
}

func setClaim(claims map[string]any, path, v string) {
	keys := strings.Split(path, ".")
	cur := claims
	for _, k := range keys[:len(keys)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[keys[len(keys)-1]] = v
}

func claimAt(claims map[string]any, path string) (any, bool) {
	var cur any = claims
	for k := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// notebooks builds every member's notebooks and the variants to refuse.
func (s *synth) notebooks() []Notebook {
	var out []Notebook
	seen := map[string]bool{}
	add := func(name string, tags map[string]string) {
		name = notebookSafe(name)
		if name == "" {
			name = "notebook"
		}
		// SageMaker names are unique regardless of case.
		for i, orig := 2, name; seen[strings.ToLower(name)]; i++ {
			name = notebookSafe(fmt.Sprintf("%.58s-%d", orig, i))
		}
		seen[strings.ToLower(name)] = true
		out = append(out, Notebook{Name: name, Tags: tags})
	}
	// Every team's notebook for every person, members or not: a person's
	// notebook in a team they are not in is where membership shows.
	for _, id := range s.ids {
		for ti := range s.m.Teams {
			g, err := s.m.GrantFor(s.m.Teams[ti].Name, id)
			if err != nil {
				continue
			}
			base := g.Team + "-" + id.Username
			name := base
			if len(g.NotebookNames) > 0 {
				name = g.NotebookNames[0]
				if !validName(name) {
					continue // no such notebook can exist
				}
			}
			add(name, clone(g.NotebookTags, "project", "extra-tag"))
			for _, k := range sortedKeys(g.NotebookTags) {
				if k != "team" {
					add(base+"-other-"+k, clone(g.NotebookTags, k, "someone-else"))
				}
				// The same tag under a key in other letter case, alone and
				// beside the key the mapping names carrying someone else's
				// value.
				if up := strings.ToUpper(k); up != k {
					recased := clone(g.NotebookTags, up, g.NotebookTags[k])
					delete(recased, k)
					add(base+"-key-case-"+k, recased)
					add(base+"-two-cases-"+k, clone(clone(g.NotebookTags, k, "someone-else"), up, g.NotebookTags[k]))
				}
			}
			noTeam := clone(g.NotebookTags, "", "")
			delete(noTeam, "team")
			add(base+"-no-team", noTeam)
			add(base+"-team-case", clone(g.NotebookTags, "team", strings.ToUpper(g.Team)))
			if len(g.NotebookNames) > 0 {
				add(base+"-unlisted", clone(g.NotebookTags, "", ""))
			}
		}
	}
	add("untagged", nil)
	return out
}

func clone(tags map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(tags)+1)
	for key, val := range tags {
		out[key] = val
	}
	if k != "" {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

var (
	notebookNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`)
	unsafeRun      = regexp.MustCompile(`[^a-zA-Z0-9]+`)
)

func validName(s string) bool { return len(s) <= 63 && notebookNameRE.MatchString(s) }

// notebookSafe turns s into a notebook name (letters, digits, single
// hyphens, at most 63 characters), or "" when nothing is left.
func notebookSafe(s string) string {
	s = strings.Trim(unsafeRun.ReplaceAllString(s, "-"), "-")
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	return s
}
