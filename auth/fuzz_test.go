package auth_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/auth"
)

// FuzzSafeNext checks that whatever next= a link carries, the broker only
// ever redirects to its own site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/open?notebook=a", "//evil.example", "/\\evil", "https://evil.example", "/%0d%0a", "/\x00", "/.//evil"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://notebooks.corp/")
	f.Fuzz(func(t *testing.T, next string) {
		got := auth.SafeNext(next)
		if got != "/" && got != next {
			t.Fatalf("SafeNext(%q) = %q: it must return the input or /", next, got)
		}
		u, err := base.Parse(got)
		if err != nil {
			t.Fatalf("SafeNext(%q) = %q does not parse: %v", next, got, err)
		}
		if u.Host != base.Host || u.Scheme != base.Scheme {
			t.Fatalf("SafeNext(%q) = %q leads to %s", next, got, u)
		}
	})
}

// FuzzCodecOpen checks that no input crashes cookie decoding or is accepted
// without the key.
func FuzzCodecOpen(f *testing.F) {
	c, _ := auth.NewCodec([][]byte{key(7)}, func() time.Time { return time.Unix(1_800_000_000, 0) })
	good, _ := c.Seal("session", map[string]string{"u": "alice"}, time.Hour)
	f.Add(good)
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		var v map[string]string
		err := c.Open("session", s, &v)
		if err == nil && s != good {
			// Only a genuine seal may open; base64 variants of the same bytes
			// are the one exception and decode to the same value.
			if v["u"] != "alice" {
				t.Fatalf("Open accepted a forged cookie %q: %v", s, v)
			}
		}
	})
}

// FuzzIdentityFromClaims feeds arbitrary claim sets (as JSON) and claim
// paths: extraction must not panic, and an identity it returns always has a
// subject and a username.
func FuzzIdentityFromClaims(f *testing.F) {
	f.Add(`{"sub":"1","preferred_username":"a","groups":["g"]}`, "", "")
	f.Add(`{"sub":"1","email":"a@x","realm_access":{"roles":["r",1]}}`, "email", "realm_access.roles")
	f.Add(`{"sub":"1","cognito:groups":"g","a":{"b":{"c":[null]}}}`, "a.b.c", "cognito:groups")
	f.Fuzz(func(t *testing.T, doc, userPath, groupsPath string) {
		var claims map[string]any
		if json.Unmarshal([]byte(doc), &claims) != nil {
			return
		}
		id, err := auth.IdentityFromClaims(claims, auth.ClaimPaths{Username: userPath, Groups: groupsPath})
		if err != nil {
			return
		}
		if id.Subject == "" || strings.TrimSpace(id.Username) == "" {
			t.Fatalf("identity without subject or username: %+v", id)
		}
	})
}
