package iameval

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// reqContext is the request's condition keys, by lowercased name: AWS matches
// condition key names case-insensitively.
type reqContext map[string][]string

func newContext(c map[string][]string) reqContext {
	out := make(reqContext, len(c))
	for k, v := range c {
		k = strings.ToLower(k)
		out[k] = append(out[k], v...)
	}
	return out
}

// multivalued are the keys AWS defines as lists even when they hold one
// value; a single-valued operator without ForAllValues:/ForAnyValue: never
// matches them, and they cannot be policy variables.
var multivalued = map[string]bool{
	"aws:tagkeys":                   true,
	"sts:transitivetagkeys":         true,
	"aws:calledvia":                 true,
	"aws:principalservicenameslist": true,
	"aws:principalorgpaths":         true,
	"aws:resourceorgpaths":          true,
}

// values returns the key's values; ok is false when the key is absent (an
// empty list counts as absent).
func (c reqContext) values(key string) (vals []string, ok bool) {
	vals = c[strings.ToLower(key)]
	return vals, len(vals) > 0
}

// single returns the value of a single-valued key.
func (c reqContext) single(key string) (string, bool) {
	vals, ok := c.values(key)
	if !ok || len(vals) != 1 || multivalued[strings.ToLower(key)] {
		return "", false
	}
	return vals[0], true
}

// token is one element of a compiled pattern: a literal rune, or a
// wildcard (* any run, ? one rune).
type token struct {
	r    rune
	kind byte
}

const (
	literal byte = iota
	star
	question
)

// expand compiles s into tokens, replacing policy variables (when vars) by
// their values as literals: a value's own * or ? is no wildcard. ok is false
// when a variable's key is absent or multivalued and it has no default;
// AWS then treats the value as matching nothing.
func expand(s string, vars, wildcards bool, ctx reqContext) (toks []token, ok bool) {
	lit := func(str string) {
		for _, r := range str {
			toks = append(toks, token{r: r})
		}
	}
	for i := 0; i < len(s); {
		if vars && strings.HasPrefix(s[i:], "${") {
			end := strings.IndexByte(s[i:], '}')
			if end < 0 { // refused by checkVariables at parse time
				return nil, false
			}
			v, ok := resolve(s[i+2:i+end], ctx)
			if !ok {
				return nil, false
			}
			lit(v)
			i += end + 1
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case wildcards && r == '*':
			toks = append(toks, token{kind: star})
		case wildcards && r == '?':
			toks = append(toks, token{kind: question})
		default:
			toks = append(toks, token{r: r})
		}
		i += size
	}
	return toks, true
}

// resolve is the value of one ${...} (without the braces).
func resolve(inner string, ctx reqContext) (string, bool) {
	switch inner {
	case "*", "?", "$":
		return inner, true
	}
	key, def, hasDefault := splitDefault(inner)
	if v, ok := ctx.single(key); ok {
		return v, true
	}
	return def, hasDefault
}

// splitDefault reads "key" or "key, 'default'".
func splitDefault(inner string) (key, def string, hasDefault bool) {
	key, rest, found := strings.Cut(inner, ",")
	key = strings.TrimSpace(key)
	if !found {
		return key, "", false
	}
	rest = strings.TrimSpace(rest)
	if len(rest) >= 2 && rest[0] == '\'' && rest[len(rest)-1] == '\'' {
		return key, rest[1 : len(rest)-1], true
	}
	return key, "", false
}

// checkVariables refuses a malformed ${...} at parse time, so that a typo
// cannot silently become a literal or a never-matching value.
func checkVariables(s string, vars bool) error {
	if !vars {
		return nil
	}
	for i := 0; i < len(s); i++ {
		if !strings.HasPrefix(s[i:], "${") {
			continue
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return errors.New("${ without a closing }")
		}
		inner := s[i+2 : i+end]
		key, _, hasDefault := splitDefault(inner)
		if key == "" {
			return errors.New("empty policy variable")
		}
		if strings.Contains(inner, ",") && !hasDefault {
			return errors.New("a policy variable's default must be in single quotes: ${key, 'default'}")
		}
		i += end
	}
	return nil
}

// glob matches s against a compiled pattern; fold makes literals match
// case-insensitively (actions).
func glob(p []token, s string, fold bool) bool {
	rs := []rune(s)
	eq := func(a, b rune) bool {
		if fold {
			return unicode.ToLower(a) == unicode.ToLower(b)
		}
		return a == b
	}
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(rs) {
		switch {
		case pi < len(p) && p[pi].kind == star:
			starP, starS = pi, si
			pi++
		case pi < len(p) && (p[pi].kind == question || (p[pi].kind == literal && eq(p[pi].r, rs[si]))):
			pi++
			si++
		case starP >= 0:
			starS++
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].kind == star {
		pi++
	}
	return pi == len(p)
}
