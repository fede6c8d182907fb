package awsemu

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// Everything a client could present back (keys, tokens, sign-in links) comes
// from crypto/rand; rand.Read never fails on supported platforms (Go 1.24+
// crashes the program instead of returning an error).

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// newRequestID returns a UUID-shaped request ID like AWS's x-amzn-RequestId.
func newRequestID() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// newSessionAccessKeyID returns a temporary key ID; the ASIA prefix is how
// AWS (and log scrubbers) tell temporary keys from long-lived AKIA keys.
func newSessionAccessKeyID() string {
	return "ASIA" + base32.StdEncoding.EncodeToString(randomBytes(10))
}

func newSecretAccessKey() string {
	return base64.StdEncoding.EncodeToString(randomBytes(30)) // 40 characters, like AWS's
}

func newSessionToken() string {
	return base64.StdEncoding.EncodeToString(randomBytes(96))
}

// newAuthToken returns the bearer secret of a presigned notebook URL.
func newAuthToken() string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(32))
}

// stableID derives an IAM-style unique ID (AROA..., AIDA...) from an ARN, so
// the same role always gets the same ID, as in IAM.
func stableID(prefix, arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return prefix + strings.ToUpper(base32.StdEncoding.EncodeToString(sum[:])[:17])
}

// tokenKey is how a bearer token is looked up: by its hash, so the emulator's
// maps never hold a usable token and a lookup does not compare secrets.
func tokenKey(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
