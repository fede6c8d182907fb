package auth_test

import (
	"testing"
	"time"
)

// BenchmarkVerify measures verifying one genuine CLI token presented again
// and again, as a CLI does on every call: the steady state of a warm open.
// The token carries the test identity (one group, one claim).
func BenchmarkVerify(b *testing.B) {
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	tk := newTokens(b, c, key(1))
	tok, err := tk.Issue(alice)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tk.Verify(tok.Raw); err != nil {
			b.Fatal(err)
		}
	}
}
