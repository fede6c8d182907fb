package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/testutil"
)

// FuzzParseToken checks that no presented bearer token crashes the broker's
// token parser or is accepted unless the broker signed its content.
func FuzzParseToken(f *testing.F) {
	c := &clock{time.Unix(1_800_000_000, 0)}
	codec, _ := auth.NewCodec([][]byte{key(9)}, c.now)
	tk, err := auth.NewTokens(testutil.TokenConfig(auth.TokenConfig{Issuer: testIssuer, Keys: [][]byte{key(1)}, Codec: codec, Now: c.now}))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := tk.Issue(alice)
	genuine, err := tk.Verify(good.Raw)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good.Raw, ".")
	for _, s := range []string{
		good.Raw, "", ".", "..", "a.b.c", parts[0] + "." + parts[1] + ".",
		"eyJhbGciOiJub25lIn0." + parts[1] + ".",
		"eyJhbGciOiJIUzI1NiJ9." + parts[1] + "." + parts[2],
		parts[0] + "." + parts[1] + "." + parts[2] + "." + parts[2],
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := tk.Verify(raw)
		if err != nil {
			return
		}
		// Only tokens this key signed verify. The fuzzing workers each issue
		// their own seed token (the jti differs) under the same fixed clock,
		// so everything but the jti must be what was issued; anything else
		// accepted is a forgery.
		if len(v.ID) != len(genuine.ID) || v.Identity.Subject != genuine.Identity.Subject || v.Identity.Username != genuine.Identity.Username ||
			strings.Join(v.Identity.Groups, ",") != strings.Join(genuine.Identity.Groups, ",") || !v.ExpiresAt.Equal(genuine.ExpiresAt) {
			t.Fatalf("Verify accepted a forged token %q: %+v", raw, v)
		}
	})
}
