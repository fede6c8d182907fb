package awsname

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// How a person is named to AWS (RoleSessionName and SourceIdentity, which
// CloudTrail shows). AWS allows 2–64 characters of [\w+=,.@-], with \w ASCII.
//
// A username already in that set is used as it is, except that it may not
// contain '=': '=' marks a derived name. Any other username (too long, too
// short, or with a character outside the set: "alice ", "李雷",
// "alice\u200b") gets a derived name: a readable prefix, '=', and a hash of
// the issuer and subject. The names are injective:
//   - two plain names are equal only when the usernames are, and the
//     username is what the user tag and owner selectors already trust to
//     name one person;
//   - a plain name has no '=' and a derived name has one, so they never meet;
//   - two derived names are equal only when their hashes are (the hash is
//     the fixed-length tail after the only '='), that is for one issuer and
//     subject, bar a 100-bit collision.
const (
	derivedMark    = "="
	derivedHashLen = 20 // base32 characters: 100 bits
	maxPrincipal   = 64
)

var (
	plainNameRE  = regexp.MustCompile(`^[A-Za-z0-9_+,.@-]{2,64}$`) // AWS's set without '='
	derivedHash  = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
	errNoSubject = errors.New("the identity has no subject to derive a name from")
)

// PrincipalName is the RoleSessionName and SourceIdentity for a person signed
// in with issuer: the username when AWS takes it as it is, else a derived
// name that no other person can share (see the comment above).
func PrincipalName(issuer, subject, username string) (string, error) {
	if plainNameRE.MatchString(username) {
		return username, nil
	}
	if subject == "" {
		return "", errNoSubject
	}
	h := sha256.New()
	// Length-prefixed, so no issuer and subject pair reads as another.
	h.Write([]byte("secds principal\x00" + strconv.Itoa(len(issuer)) + ":" + issuer + subject))
	sum := derivedHash.EncodeToString(h.Sum(nil))[:derivedHashLen]
	return readablePrefix(username, maxPrincipal-len(derivedMark)-derivedHashLen) + derivedMark + sum, nil
}

// readablePrefix keeps the characters of s AWS allows (but '='), turns each
// run of others into one '-', and cuts the result to max, so CloudTrail shows
// something a person recognises. It is for reading only: uniqueness comes
// from the hash.
func readablePrefix(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if b.Len() == max {
			break
		}
		if plainRune(r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	p := strings.TrimRight(b.String(), "-")
	if p == "" {
		return "user"
	}
	return p
}

// plainRune reports whether r may appear in a plain name: [\w+,.@-] in ASCII.
func plainRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_+,.@-", r)
}
