package iameval

import "strings"

// arnAccount is the account field of an ARN, or "" when s is not one.
func arnAccount(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// splitPattern splits a Resource or Arn* pattern into the six ARN fields,
// at the colons outside ${...} (variable names have colons of their own);
// the last field keeps any further colons, as in an ARN.
func splitPattern(s string, vars bool) []string {
	var parts []string
	start, depth := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case vars && s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
			i++
		case vars && s[i] == '}' && depth > 0:
			depth--
		case s[i] == ':' && depth == 0 && len(parts) < 5:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// matchARN matches a pattern against an ARN field by field, so that a
// wildcard never spans a colon except within the resource field. A pattern
// without the six fields matches nothing (Parse refuses such a Resource,
// other than "*"). ok is false when a policy variable in the pattern has no
// value.
func matchARN(pattern, value string, vars bool, ctx reqContext) (match, ok bool) {
	pp := splitPattern(pattern, vars)
	if len(pp) != 6 {
		return false, true
	}
	vp := strings.SplitN(value, ":", 6)
	if len(vp) != 6 {
		return false, true
	}
	for i := range pp {
		toks, ok := expand(pp[i], vars, true, ctx)
		if !ok {
			return false, false
		}
		if !glob(toks, vp[i], false) {
			return false, true
		}
	}
	return true, true
}
