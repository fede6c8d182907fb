package abac

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// backtrackGlob is the matcher globMatch replaced: obviously right, and
// quadratic on patterns such as * + 4,000 × a + b. It is the oracle here.
func backtrackGlob(pattern, s string) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		if pi < len(pattern) {
			switch pr, pw := utf8.DecodeRuneInString(pattern[pi:]); {
			case pr == '*':
				star, mark = pi, si
				pi++
				continue
			case pr == '?':
				_, sw := utf8.DecodeRuneInString(s[si:])
				pi, si = pi+pw, si+sw
				continue
			default:
				if sr, sw := utf8.DecodeRuneInString(s[si:]); sr == pr {
					pi, si = pi+pw, si+sw
					continue
				}
			}
		}
		if star < 0 {
			return false
		}
		_, sw := utf8.DecodeRuneInString(s[mark:])
		pi, mark = star+1, mark+sw
		si = mark
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"ds-*", "ds-fraud", true},
		{"ds-*", "ds-", true},
		{"ds-*", "d", false},
		{"*-leads", "fraud-leads", true},
		{"*-leads", "fraud-leads-x", false},
		{"a*b*c", "abc", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXcYb", false},
		{"a*bc*bc", "abcbc", true},
		{"a*bc*bc", "abcb", false},
		{"?", "é", true},
		{"??", "é", false},
		{"p-?-*", "p-1-x", true},
		{"*a?c*", "xxabcxx", true},
		{"*a?c", "abcabd", false},
		{"*ab", "aab", true},
		{"x", "x", true},
		{"x", "xy", false},
		{"", "", true},
		{"**a**", "a", true},
		{"*\uFFFD", "a\xff", true},
		{"a/b*", "a/b/c", true},
		{"*" + strings.Repeat("a", 255) + "b", strings.Repeat("a", 16<<10), false},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
		if got := backtrackGlob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("oracle(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// FuzzGlobMatch holds globMatch to the backtracking matcher on any input,
// invalid UTF-8 included.
func FuzzGlobMatch(f *testing.F) {
	for _, seed := range [][2]string{{"a*b*c", "aXbYc"}, {"*?x*", "yyx"}, {"p-?-*", "p-é-"}, {"*\uFFFD*", "\xff"}, {"*ab*ab", "abab"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 256 {
			return // the oracle is quadratic
		}
		if got, want := globMatch(pattern, s), backtrackGlob(pattern, s); got != want {
			t.Fatalf("globMatch(%q, %q) = %v, the backtracking matcher says %v", pattern, s, got, want)
		}
	})
}

// BenchmarkGlobWorstCase: the longest, most star-laden pattern validation
// lets through, against a 16 KB claim value that almost matches everywhere.
// globMatch looks for each piece once; the backtracking matcher retries
// every piece from every position.
func BenchmarkGlobWorstCase(b *testing.B) {
	s := strings.Repeat("a", 16<<10)
	cases := map[string]string{
		"one star":    "*" + strings.Repeat("a", MaxGlobLen-2) + "b",
		"with ?":      "*" + strings.Repeat("a?", (MaxGlobLen-2)/2) + "b",
		"eight stars": strings.Repeat("*"+strings.Repeat("a", 30), MaxGlobStars) + "b",
	}
	for name, pattern := range cases {
		if len(pattern) > MaxGlobLen || strings.Count(pattern, "*") > MaxGlobStars {
			b.Fatalf("%s: pattern beyond validation's bounds", name)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if globMatch(pattern, s) {
					b.Fatal("matched")
				}
			}
		})
		b.Run(name+" (backtracking, for comparison)", func(b *testing.B) {
			for b.Loop() {
				backtrackGlob(pattern, s)
			}
		})
	}
}
