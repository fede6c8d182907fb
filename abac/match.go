package abac

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ConditionResult is one condition of a rule, checked against one identity.
type ConditionResult struct {
	Condition string `json:"condition"`
	Matched   bool   `json:"matched"`
	Detail    string `json:"detail,omitempty"`
}

// matches reports whether every condition of the rule holds. It is the fast
// path of evaluate; explain below gives the same answer with reasons.
func (r *Rule) matches(id Identity) bool {
	if len(r.Subjects) > 0 && !slices.Contains(r.Subjects, id.Subject) {
		return false
	}
	if len(r.Groups) > 0 && !anyGroup(id, r.Groups) {
		return false
	}
	for i := range r.Claims {
		if !r.Claims[i].holds(id) {
			return false
		}
	}
	if len(r.EmailDomains) > 0 && !emailDomainOK(id, r.EmailDomains) {
		return false
	}
	return r.conditions() > 0
}

// conditions counts the rule's conditions; a rule with none matches nobody.
func (r *Rule) conditions() int {
	return len(r.Subjects) + len(r.Groups) + len(r.Claims) + len(r.EmailDomains)
}

func (r *Rule) explain(id Identity) (bool, []ConditionResult) {
	var out []ConditionResult
	ok := true
	add := func(c ConditionResult) {
		out = append(out, c)
		ok = ok && c.Matched
	}
	if len(r.Subjects) > 0 {
		c := ConditionResult{Condition: "subject any of [" + strings.Join(r.Subjects, ", ") + "]", Matched: slices.Contains(r.Subjects, id.Subject)}
		if c.Matched {
			c.Detail = "subject is " + id.Subject
		} else {
			c.Detail = "subject " + id.Subject + " is none of them"
		}
		add(c)
	}
	if len(r.Groups) > 0 {
		c := ConditionResult{Condition: "groups any of [" + strings.Join(r.Groups, ", ") + "]", Matched: anyGroup(id, r.Groups)}
		if c.Matched {
			c.Detail = "member of " + firstGroup(id, r.Groups)
		} else {
			c.Detail = "member of none of them"
		}
		add(c)
	}
	for i := range r.Claims {
		cc := &r.Claims[i]
		vals, present := claimStrings(id.Claims, cc.Path)
		c := ConditionResult{Condition: cc.describe(), Matched: cc.holds(id)}
		switch {
		case !present:
			c.Detail = "claim " + cc.Path + " is missing"
		default:
			c.Detail = "claim " + cc.Path + " is [" + strings.Join(vals, ", ") + "]"
		}
		add(c)
	}
	if len(r.EmailDomains) > 0 {
		c := ConditionResult{Condition: "email domain any of [" + strings.Join(r.EmailDomains, ", ") + "]", Matched: emailDomainOK(id, r.EmailDomains)}
		switch {
		case id.Email == "":
			c.Detail = "no email"
		case emailUnverified(id):
			c.Detail = "email " + id.Email + " is not verified"
		default:
			c.Detail = "email " + id.Email
		}
		add(c)
	}
	return ok && len(out) > 0, out
}

func anyGroup(id Identity, groups []string) bool {
	return firstGroup(id, groups) != ""
}

func firstGroup(id Identity, groups []string) string {
	for _, g := range groups {
		if id.InGroup(g) {
			return g
		}
	}
	return ""
}

func (c *ClaimCondition) holds(id Identity) bool {
	found := false
	eachClaimValue(id.Claims, c.Path, func(v string) bool {
		for _, want := range c.Equals {
			if v == want {
				found = true
				return false
			}
		}
		for _, g := range c.Glob {
			if globMatch(g, v) {
				found = true
				return false
			}
		}
		return true
	})
	return found
}

func (c *ClaimCondition) describe() string {
	var parts []string
	if len(c.Equals) > 0 {
		parts = append(parts, "equals any of ["+strings.Join(c.Equals, ", ")+"]")
	}
	if len(c.Glob) > 0 {
		parts = append(parts, "matches any of ["+strings.Join(c.Glob, ", ")+"]")
	}
	return "claim " + c.Path + " " + strings.Join(parts, " or ")
}

// claimStrings reads a claim as strings: a string, a number, a boolean, or a
// list of those. The whole path is tried as one name first, then as a dotted
// path into nested objects.
func claimStrings(claims map[string]any, path string) ([]string, bool) {
	var out []string
	present := eachClaimValue(claims, path, func(v string) bool {
		out = append(out, v)
		return true
	})
	return out, present
}

// eachClaimValue calls fn with each string value of the claim until fn
// returns false, without allocating; it reports whether the claim exists.
func eachClaimValue(claims map[string]any, path string, fn func(string) bool) bool {
	v, ok := claims[path]
	if !ok {
		if !strings.Contains(path, ".") {
			return false
		}
		var cur any = claims
		for k := range strings.SplitSeq(path, ".") {
			m, isMap := cur.(map[string]any)
			if !isMap {
				return false
			}
			if cur, ok = m[k]; !ok {
				return false
			}
		}
		v = cur
	}
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			if s, ok := scalarString(e); ok && !fn(s) {
				break
			}
		}
	case []string:
		for _, s := range t {
			if !fn(s) {
				break
			}
		}
	default:
		if s, ok := scalarString(v); ok {
			fn(s)
		}
	}
	return true
}

func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case int:
		return strconv.Itoa(t), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

func emailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 || i == len(email)-1 {
		return ""
	}
	return strings.ToLower(email[i+1:])
}

// emailUnverified is true only when the provider said so: several providers
// (Entra ID among them) never send email_verified.
func emailUnverified(id Identity) bool {
	v, ok := id.Claims["email_verified"]
	if !ok {
		return false
	}
	b, isBool := v.(bool)
	return !isBool || !b
}

func emailDomainOK(id Identity, domains []string) bool {
	d := emailDomain(id.Email)
	if d == "" || emailUnverified(id) {
		return false
	}
	for _, want := range domains {
		if strings.EqualFold(d, want) {
			return true
		}
	}
	return false
}

// globMatch matches s against a pattern where * is any run of characters and
// ? is one character; nothing else is special (unlike path.Match, '/' is an
// ordinary character).
//
// It never backtracks. The pieces between stars are placed from the left,
// each at the first place it fits after the one before, and the last piece
// at the very end: if any placement works, this one does, because an
// earlier end leaves more room for what follows. Each piece is looked for
// once, so the work is at most len(s) × len(pattern) character comparisons
// (with validation's bound on patterns, 256 × len(s)), and a piece without
// ? is found with strings.Index. The backtracking matcher this replaces took
// 0.6 s for * + 4,000 × a + b against a 16 KB claim.
func globMatch(pattern, s string) bool {
	first, rest, star := strings.Cut(pattern, "*")
	n, ok := matchPrefix(first, s)
	if !ok {
		return false
	}
	if !star {
		return n == len(s)
	}
	s = s[n:]
	for {
		piece, more, star := strings.Cut(rest, "*")
		if !star {
			return matchSuffix(piece, s)
		}
		if piece != "" {
			end := indexPiece(piece, s)
			if end < 0 {
				return false
			}
			s = s[end:]
		}
		rest = more
	}
}

// matchPrefix matches a piece (literal characters and ?) at the start of s
// and returns how many bytes of s it took.
func matchPrefix(piece, s string) (int, bool) {
	si := 0
	for _, pr := range piece {
		if si >= len(s) {
			return 0, false
		}
		sr, sw := utf8.DecodeRuneInString(s[si:])
		if pr != '?' && pr != sr {
			return 0, false
		}
		si += sw
	}
	return si, true
}

// indexPiece finds the first place piece fits in s and returns where that
// match ends, or -1.
func indexPiece(piece, s string) int {
	// Byte search finds the same places as rune comparison when the piece
	// has no ? and no U+FFFD (which also stands for an invalid byte in s).
	if !strings.ContainsAny(piece, "?\uFFFD") {
		if i := strings.Index(s, piece); i >= 0 {
			return i + len(piece)
		}
		return -1
	}
	for i := 0; i < len(s); {
		if n, ok := matchPrefix(piece, s[i:]); ok {
			return i + n
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return -1
}

// matchSuffix reports whether piece matches the end of s: the last as many
// characters of s as piece has, counted from the front as everywhere else
// (so invalid UTF-8 splits the same way).
func matchSuffix(piece, s string) bool {
	skip := utf8.RuneCountInString(s) - utf8.RuneCountInString(piece)
	if skip < 0 {
		return false
	}
	start := 0
	for range skip {
		_, w := utf8.DecodeRuneInString(s[start:])
		start += w
	}
	n, ok := matchPrefix(piece, s[start:])
	return ok && start+n == len(s)
}

func describeRule(r *Rule) string {
	var parts []string
	if len(r.Subjects) > 0 {
		parts = append(parts, fmt.Sprintf("subjects %v", r.Subjects))
	}
	if len(r.Groups) > 0 {
		parts = append(parts, fmt.Sprintf("groups %v", r.Groups))
	}
	for i := range r.Claims {
		parts = append(parts, r.Claims[i].describe())
	}
	if len(r.EmailDomains) > 0 {
		parts = append(parts, fmt.Sprintf("email domains %v", r.EmailDomains))
	}
	return strings.Join(parts, " and ")
}
