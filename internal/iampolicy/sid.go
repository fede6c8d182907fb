package iampolicy

import (
	"strconv"
	"strings"
)

// sidPart makes a name fit a statement ID ([A-Za-z0-9]), in CamelCase.
func sidPart(name string) string {
	var b strings.Builder
	up := true
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9':
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	return b.String()
}

// uniqueSid returns sid, or sid with a number when it is taken: two tag
// keys such as "cost-center" and "cost_center" make the same ID.
func uniqueSid(taken map[string]bool, sid string) string {
	out := sid
	for n := 2; taken[out]; n++ {
		out = sid + strconv.Itoa(n)
	}
	taken[out] = true
	return out
}
