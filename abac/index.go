package abac

import "strings"

// index finds the rules an identity could match without scanning them all.
// A rule is an AND, so it can only match if its first indexable condition
// does: it is filed under one of its subjects, else one of its groups, else
// one of its claim values, else one of its email domains. Rules with only
// glob conditions are scanned.
type index struct {
	bySubject map[string][]ruleRef
	byGroup   map[string][]ruleRef
	byClaim   map[string]map[string][]ruleRef // claim path → value → rules
	byDomain  map[string][]ruleRef
	scan      []ruleRef
}

type ruleRef struct {
	team, rule int32
}

func buildIndex(teams []Team) *index {
	x := &index{bySubject: map[string][]ruleRef{}, byGroup: map[string][]ruleRef{}, byClaim: map[string]map[string][]ruleRef{}, byDomain: map[string][]ruleRef{}}
	for ti := range teams {
		for ri := range teams[ti].Match {
			x.add(ruleRef{int32(ti), int32(ri)}, &teams[ti].Match[ri])
		}
	}
	return x
}

func (x *index) add(ref ruleRef, r *Rule) {
	if len(r.Subjects) > 0 {
		for _, s := range dedupe(r.Subjects) {
			x.bySubject[s] = append(x.bySubject[s], ref)
		}
		return
	}
	if len(r.Groups) > 0 {
		for _, g := range dedupe(r.Groups) {
			x.byGroup[g] = append(x.byGroup[g], ref)
		}
		return
	}
	for _, c := range r.Claims {
		if len(c.Glob) > 0 || len(c.Equals) == 0 {
			continue
		}
		byValue := x.byClaim[c.Path]
		if byValue == nil {
			byValue = map[string][]ruleRef{}
			x.byClaim[c.Path] = byValue
		}
		for _, v := range dedupe(c.Equals) {
			byValue[v] = append(byValue[v], ref)
		}
		return
	}
	if len(r.EmailDomains) > 0 {
		for _, d := range dedupe(r.EmailDomains) {
			d = strings.ToLower(d)
			x.byDomain[d] = append(x.byDomain[d], ref)
		}
		return
	}
	x.scan = append(x.scan, ref)
}

// candidates appends every rule the identity could match to dst. A rule may
// appear more than once.
func (x *index) candidates(id Identity, dst []ruleRef) []ruleRef {
	dst = append(dst, x.bySubject[id.Subject]...)
	for _, g := range id.Groups {
		dst = append(dst, x.byGroup[g]...)
	}
	for path, byValue := range x.byClaim {
		vals, _ := claimStrings(id.Claims, path)
		for _, v := range vals {
			dst = append(dst, byValue[v]...)
		}
	}
	if d := emailDomain(id.Email); d != "" {
		dst = append(dst, x.byDomain[d]...)
	}
	return append(dst, x.scan...)
}

func dedupe(ss []string) []string {
	seen := make(map[string]bool, len(ss))
	out := ss[:0:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
