package abac

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/template/parse"
)

// References is every attribute of an identity that a mapping reads: the
// groups its rules and admin_groups name, and the claims its rules and
// templates read. A session or token keeps only these (an Entra ID user with
// 500 groups fits a cookie when the mapping names 20), and a mapping that
// later reads more than a session kept makes that session stale: it never
// evaluates an identity that has lost an attribute.
type References struct {
	// Groups are the exact group names rules and admin_groups name.
	Groups []string `json:"g,omitempty"`
	// Claims are the claim paths whose whole value is kept: the paths
	// templates render, and email_verified when a rule uses email_domains.
	Claims []string `json:"c,omitempty"`
	// Values are claim paths that only rule conditions read: of a list claim,
	// only the elements some condition on the path accepts are kept.
	Values map[string]ClaimValues `json:"v,omitempty"`
	// AllGroups and AllClaims: a template reads the identity in a way that
	// cannot be narrowed ({{.Groups}}, {{index .Claims "x"}}, {{.}}), so
	// all of them are kept.
	AllGroups bool `json:"ag,omitempty"`
	AllClaims bool `json:"ac,omitempty"`

	digest string
}

// ClaimValues are the values and patterns rule conditions test one claim
// path against.
type ClaimValues struct {
	Equals []string `json:"e,omitempty"`
	Glob   []string `json:"p,omitempty"`
}

// References returns what the mapping reads of an identity.
func (m *Mapping) References() References {
	if m.refs == nil {
		// A Mapping not made by Parse: work it out now.
		r := computeReferences(m)
		return *r
	}
	return *m.refs
}

// Digest names the reference set: equal sets have equal digests, in any
// process, so a session made on one replica is understood by another.
func (r References) Digest() string {
	if r.digest != "" {
		return r.digest
	}
	return r.computeDigest()
}

func (r *References) computeDigest() string {
	b, _ := json.Marshal(r) // plain strings, bools and maps: cannot fail
	sum := sha256.Sum256(append([]byte("secds-references-v1\n"), b...))
	return "r1." + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// Keep returns id cut down to what the mapping reads, stamped with the
// digest of the mapping's references (Identity.Kept).
func (m *Mapping) Keep(id Identity) Identity {
	r := m.refsOrCompute()
	out := Identity{Subject: id.Subject, Username: id.Username, Email: id.Email, Kept: r.digest}
	if r.AllGroups {
		out.Groups = slices.Clone(id.Groups)
	} else {
		for _, g := range id.Groups {
			if slices.Contains(r.Groups, g) && !slices.Contains(out.Groups, g) {
				out.Groups = append(out.Groups, g)
			}
		}
	}
	out.Claims = r.keepClaims(id.Claims)
	return out
}

// Carries reports whether id holds every attribute this mapping reads: it
// was kept for these references, or for a superset of them (a team was
// removed since). An identity kept for references this process has never
// seen, or never cut down at all (Kept == ""), is not known to: the session
// or token carrying it is stale, and its holder signs in again.
func (m *Mapping) Carries(id Identity) bool {
	if id.Kept == "" {
		return false
	}
	live := m.refsOrCompute()
	if id.Kept == live.digest {
		return true
	}
	old, ok := knownReferences(id.Kept)
	return ok && old.covers(live)
}

// stale reports whether id was cut down for references that do not cover the
// mapping's. Evaluate grants such an identity nothing even if the caller did
// not check Carries (a mapping swapped in between the check and the
// evaluation): a lost claim could be the one an exclude rule reads. An
// identity straight from the provider is complete.
func (m *Mapping) stale(id Identity) bool {
	return id.Kept != "" && !m.Carries(id)
}

func (m *Mapping) refsOrCompute() *References {
	if m.refs != nil {
		return m.refs
	}
	return computeReferences(m)
}

// covers reports whether everything live reads was kept under r.
func (r *References) covers(live *References) bool {
	if live.AllGroups && !r.AllGroups || live.AllClaims && !r.AllClaims {
		return false
	}
	if !r.AllGroups {
		for _, g := range live.Groups {
			if !slices.Contains(r.Groups, g) {
				return false
			}
		}
	}
	if r.AllClaims {
		return true
	}
	for _, p := range live.Claims {
		if !slices.Contains(r.Claims, p) {
			return false
		}
	}
	for p, lv := range live.Values {
		if slices.Contains(r.Claims, p) {
			continue // the whole value was kept
		}
		ov, ok := r.Values[p]
		if !ok || !subset(lv.Equals, ov.Equals) || !subset(lv.Glob, ov.Glob) {
			return false
		}
	}
	return true
}

func subset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// keepClaims copies the claims r reads out of claims. Nested objects on the
// way to a dotted path are rebuilt, never shared, so the source is not
// changed.
func (r *References) keepClaims(claims map[string]any) map[string]any {
	out := map[string]any{}
	if r.AllClaims {
		maps.Copy(out, claims)
		return out
	}
	for _, p := range r.Claims {
		copyClaim(out, claims, p, nil)
	}
	for p, cv := range r.Values {
		if !slices.Contains(r.Claims, p) {
			copyClaim(out, claims, p, &cv)
		}
	}
	return out
}

// copyClaim copies the claim at path, both as one name and as a dotted path
// (eachClaimValue tries both), into dst; with filter, only the list elements
// a condition accepts.
func copyClaim(dst, src map[string]any, path string, filter *ClaimValues) {
	if v, ok := src[path]; ok {
		if v, ok = keepValue(v, filter); ok {
			dst[path] = v
		}
	}
	if !strings.Contains(path, ".") {
		return
	}
	keys := strings.Split(path, ".")
	var cur any = src
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return
		}
		if cur, ok = m[k]; !ok {
			return
		}
	}
	v, ok := keepValue(cur, filter)
	if !ok {
		return
	}
	d := dst
	for _, k := range keys[:len(keys)-1] {
		// A map already there may be src's own (a whole value kept for
		// another path): change a copy.
		next, _ := d[k].(map[string]any)
		next = maps.Clone(next)
		if next == nil {
			next = map[string]any{}
		}
		d[k] = next
		d = next
	}
	d[keys[len(keys)-1]] = v
}

// keepValue returns what is kept of one claim value: all of it without a
// filter; else a scalar as it is and, of a list, the scalar elements a
// condition accepts. A value no condition can test (an object) is dropped.
func keepValue(v any, filter *ClaimValues) (any, bool) {
	if filter == nil {
		return v, true
	}
	switch t := v.(type) {
	case []any:
		out := []any{}
		for _, e := range t {
			if s, ok := scalarString(e); ok && filter.accepts(s) {
				out = append(out, e)
			}
		}
		return out, true
	case []string:
		out := []string{}
		for _, s := range t {
			if filter.accepts(s) {
				out = append(out, s)
			}
		}
		return out, true
	}
	if _, ok := scalarString(v); ok {
		return v, true
	}
	return nil, false
}

func (cv *ClaimValues) accepts(s string) bool {
	if slices.Contains(cv.Equals, s) {
		return true
	}
	for _, g := range cv.Glob {
		if globMatch(g, s) {
			return true
		}
	}
	return false
}

// computeReferences walks every rule, admin_groups and every template of a
// validated mapping.
func computeReferences(m *Mapping) *References {
	r := &References{Values: map[string]ClaimValues{}}
	groups, claims := map[string]bool{}, map[string]bool{}
	for _, g := range m.AdminGroups {
		groups[g] = true
	}
	rule := func(rl *Rule) {
		// rl.Subjects reads the identity's subject, which Keep always keeps.
		for _, g := range rl.Groups {
			groups[g] = true
		}
		for _, c := range rl.Claims {
			cv := r.Values[c.Path]
			cv.Equals = append(cv.Equals, c.Equals...)
			cv.Glob = append(cv.Glob, c.Glob...)
			r.Values[c.Path] = cv
		}
		if len(rl.EmailDomains) > 0 {
			// emailDomainOK refuses an email the provider says is
			// unverified: losing the claim would accept it.
			claims["email_verified"] = true
		}
	}
	for i := range m.Teams {
		t := &m.Teams[i]
		for j := range t.Match {
			rule(&t.Match[j])
		}
		for j := range t.Exclude {
			rule(&t.Exclude[j])
		}
		for _, v := range t.values() {
			v.references(r, claims)
		}
	}
	r.Groups = sortedKeys(groups)
	r.Claims = sortedKeys(claims)
	for p, cv := range r.Values {
		r.Values[p] = ClaimValues{Equals: sortedSet(cv.Equals), Glob: sortedSet(cv.Glob)}
	}
	if len(r.Values) == 0 {
		r.Values = nil
	}
	if r.AllGroups {
		r.Groups = nil
	}
	if r.AllClaims {
		r.Claims, r.Values = nil, nil
	}
	r.digest = r.computeDigest()
	remember(r)
	return r
}

// values lists every templated value of the team.
func (t *Team) values() []*value {
	var out []*value
	for _, v := range t.tagValues {
		out = append(out, v)
	}
	for _, v := range t.selectorValues {
		out = append(out, v)
	}
	out = append(out, t.nameValues...)
	if t.studio != nil {
		out = append(out, t.studio.userProfile, t.studio.space)
	}
	return out
}

// references adds what the value reads. A template that reads anything but
// .Username, .Email, .Subject and .Claims.<path> is assumed to read
// everything: keeping too much costs bytes, keeping too little grants.
func (v *value) references(r *References, claims map[string]bool) {
	if v == nil {
		return
	}
	if v.tmpl == nil {
		for _, p := range v.parts {
			if p.field != nil && p.field[0] == "Claims" {
				claims[strings.Join(p.field[1:], ".")] = true
			}
		}
		return
	}
	field := func(ident []string) {
		switch {
		case len(ident) == 0:
		case ident[0] == "Username" || ident[0] == "Email" || ident[0] == "Subject":
		case ident[0] == "Claims" && len(ident) >= 2:
			claims[strings.Join(ident[1:], ".")] = true
		case ident[0] == "Claims":
			r.AllClaims = true
		default: // .Groups, .InGroup, a field this code does not know
			r.AllGroups, r.AllClaims = true, true
		}
	}
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case nil:
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			field(n.Ident)
		case *parse.VariableNode:
			if n.Ident[0] == "$" {
				field(n.Ident[1:])
				if len(n.Ident) == 1 {
					r.AllGroups, r.AllClaims = true, true
				}
			}
		case *parse.DotNode:
			// The identity itself (at the top level) handed to a function.
			r.AllGroups, r.AllClaims = true, true
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	for _, t := range v.tmpl.Templates() {
		if t.Tree != nil {
			walk(t.Tree.Root)
		}
	}
}

func sortedKeys(set map[string]bool) []string {
	if len(set) == 0 {
		return nil
	}
	return slices.Sorted(maps.Keys(set))
}

func sortedSet(ss []string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := slices.Clone(ss)
	slices.Sort(out)
	return slices.Compact(out)
}

// known remembers the reference sets of mappings this process has parsed, by
// digest, so that a session kept under an earlier mapping can be checked
// against the live one (Carries). A digest names one set everywhere, so the
// cache is only ever incomplete, never wrong; an unknown digest is stale.
var known = struct {
	sync.Mutex
	m     map[string]*References
	order []string
}{m: map[string]*References{}}

const maxKnownReferences = 256

func remember(r *References) {
	known.Lock()
	defer known.Unlock()
	if _, ok := known.m[r.digest]; ok {
		return
	}
	if len(known.order) == maxKnownReferences {
		delete(known.m, known.order[0])
		known.order = known.order[1:]
	}
	known.m[r.digest] = r
	known.order = append(known.order, r.digest)
}

func knownReferences(digest string) (*References, bool) {
	known.Lock()
	defer known.Unlock()
	r, ok := known.m[digest]
	return r, ok
}
