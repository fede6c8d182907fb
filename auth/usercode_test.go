package auth_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
)

var userCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

func apiCode(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) {
		return string(ae.Code)
	}
	if err == nil {
		return "<nil>"
	}
	return "not an api.Error: " + err.Error()
}

// TestUserCodes: paste mode's short code is eight letters of RFC 8628's
// kind, works once, for ten minutes, however it is typed, and only with the
// verifier of the CLI that asked for it.
func TestUserCodes(t *testing.T) {
	ctx := context.Background()
	verifier := strings.Repeat("u", 43)
	challenge := auth.S256Challenge(verifier)

	t.Run("typed loosely, once", func(t *testing.T) {
		tk := newTokens(t, &clock{time.Unix(1_800_000_000, 0)}, key(1))
		code, err := tk.NewUserCode(ctx, alice, challenge)
		if err != nil || !userCodeRE.MatchString(code) {
			t.Fatalf("NewUserCode = %q, %v; want XXXX-XXXX from the unambiguous alphabet", code, err)
		}
		typed := " " + strings.ToLower(strings.ReplaceAll(code, "-", " ")) + "\n"
		tok, id, err := tk.Redeem(ctx, typed, verifier, "")
		if err != nil || id.Username != "alice" || tok.Raw == "" {
			t.Fatalf("Redeem(%q) = %v, %v", typed, id, err)
		}
		if _, _, err := tk.Redeem(ctx, code, verifier, ""); apiCode(err) != "code_used" {
			t.Errorf("a second redemption: %v, want code_used", apiCode(err))
		}
	})
	t.Run("ten minutes", func(t *testing.T) {
		c := &clock{time.Unix(1_800_000_000, 0)}
		tk := newTokens(t, c, key(1))
		early, _ := tk.NewUserCode(ctx, alice, challenge)
		late, _ := tk.NewUserCode(ctx, alice, challenge)
		c.t = c.t.Add(auth.UserCodeTTL - time.Second)
		if _, _, err := tk.Redeem(ctx, early, verifier, ""); err != nil {
			t.Errorf("a second before ten minutes: %v", err)
		}
		c.t = c.t.Add(2 * time.Second)
		if _, _, err := tk.Redeem(ctx, late, verifier, ""); apiCode(err) != "code_invalid" {
			t.Errorf("after ten minutes: %v, want code_invalid", apiCode(err))
		}
	})
	t.Run("bound to the CLI's verifier", func(t *testing.T) {
		tk := newTokens(t, &clock{time.Unix(1_800_000_000, 0)}, key(1))
		code, _ := tk.NewUserCode(ctx, alice, challenge)
		if _, _, err := tk.Redeem(ctx, code, strings.Repeat("x", 43), ""); apiCode(err) != "verifier_mismatch" {
			t.Fatalf("another verifier: %v, want verifier_mismatch", apiCode(err))
		}
		if _, _, err := tk.Redeem(ctx, code, verifier, ""); apiCode(err) != "code_used" {
			t.Errorf("the right verifier after a wrong one: %v, want code_used (the code is spent)", apiCode(err))
		}
	})
	t.Run("not for a loopback redirect, and guesses fail", func(t *testing.T) {
		tk := newTokens(t, &clock{time.Unix(1_800_000_000, 0)}, key(1))
		code, _ := tk.NewUserCode(ctx, alice, challenge)
		if _, _, err := tk.Redeem(ctx, code, verifier, "http://127.0.0.1:4711/callback"); apiCode(err) != "code_invalid" {
			t.Errorf("with a redirect URI: %v, want code_invalid", apiCode(err))
		}
		for _, guess := range []string{"BCDF-GHJK", "AAAA-AAAA", "bcdfghj", "BCDF-GHJK-L"} {
			if _, _, err := tk.Redeem(ctx, guess, verifier, ""); apiCode(err) != "code_invalid" {
				t.Errorf("guess %q: %v, want code_invalid", guess, apiCode(err))
			}
		}
		if _, _, err := tk.Redeem(ctx, code, verifier, ""); err != nil {
			t.Errorf("the real code after the guesses: %v", err)
		}
	})
	t.Run("codes differ", func(t *testing.T) {
		tk := newTokens(t, &clock{time.Unix(1_800_000_000, 0)}, key(1))
		seen := map[string]bool{}
		for range 200 {
			code, err := tk.NewUserCode(ctx, alice, challenge)
			if err != nil || seen[code] {
				t.Fatalf("code %q repeated or failed: %v", code, err)
			}
			seen[code] = true
		}
	})
}
