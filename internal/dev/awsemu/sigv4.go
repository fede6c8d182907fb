package awsemu

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	sigv4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	// msgBadSignature is AWS's wording, so a failure reads the same as in production.
	msgBadSignature = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgInvalidToken = "The security token included in the request is invalid."
)

// caller is the authenticated principal of a request.
type caller struct {
	arn       string
	userID    string
	accessKey string   // the long-lived key's ID; "" for a session
	session   *session // nil for a long-lived seed credential
}

// authHeader is a parsed SigV4 Authorization header.
type authHeader struct {
	accessKeyID   string
	date          string // YYYYMMDD of the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
}

func parseAuthorization(h string) (authHeader, error) {
	var a authHeader
	alg, rest, ok := strings.Cut(h, " ")
	if !ok || alg != sigv4Algorithm {
		return a, fmt.Errorf("authorization header requires %s", sigv4Algorithm)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, errors.New("authorization header parts must be key=value")
		}
		fields[k] = v
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return a, fmt.Errorf("authorization header requires '%s' parameter", k)
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || scope[4] != "aws4_request" {
		return a, errors.New("credential must have the form AKID/YYYYMMDD/region/service/aws4_request")
	}
	a.accessKeyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
	a.signedHeaders = strings.Split(fields["SignedHeaders"], ";")
	a.signature = fields["Signature"]
	return a, nil
}

// authenticate checks the request's SigV4 signature against the seed
// credentials and the sessions the emulator issued. It recomputes the
// signature with the SDK's own signer over a copy of the request that holds
// only the headers the client says it signed, so the check agrees with what
// the real clients send byte for byte.
func (e *Emulator) authenticate(r *http.Request, body []byte, service string) (*caller, *authError) {
	raw := r.Header.Get("Authorization")
	if raw == "" {
		return nil, &authError{failMissingAuth, "Request is missing Authentication Token"}
	}
	ah, err := parseAuthorization(raw)
	if err != nil {
		return nil, &authError{failIncompleteSignature, err.Error()}
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signTime, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return nil, &authError{failIncompleteSignature, "X-Amz-Date must be present and in ISO 8601 basic format (YYYYMMDDTHHMMSSZ)"}
	}
	if !slices.Contains(ah.signedHeaders, "host") || !slices.Contains(ah.signedHeaders, "x-amz-date") {
		return nil, &authError{failIncompleteSignature, "SignedHeaders must include host and x-amz-date"}
	}
	switch {
	case ah.date != amzDate[:8]:
		return nil, &authError{failBadSignature, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'", ah.date, amzDate[:8])}
	case ah.service != service:
		return nil, &authError{failBadSignature, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service)}
	case ah.region != e.region:
		return nil, &authError{failBadSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", ah.region)}
	}

	creds, who, sess, aerr := e.lookupKey(ah.accessKeyID, r.Header.Get("X-Amz-Security-Token"))
	if aerr != nil {
		return nil, aerr
	}
	if aerr := e.checkSkew(signTime); aerr != nil {
		return nil, aerr
	}
	if !signatureMatches(r, body, ah, creds, signTime) {
		return nil, &authError{failBadSignature, msgBadSignature}
	}
	// Expiry is checked last so only a correctly signed request learns
	// that a session existed and has expired.
	if sess != nil && !e.now().Before(sess.expires) {
		return nil, &authError{failExpiredToken, "The security token included in the request is expired"}
	}
	return who, nil
}

// lookupKey finds the secret for an access key ID: a seed credential, or a
// session whose token must accompany it.
func (e *Emulator) lookupKey(akid, token string) (aws.Credentials, *caller, *session, *authError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c, ok := e.credentials[akid]; ok {
		if token != "" {
			// A token with a long-lived key is a forgery or a mix-up; AWS refuses it.
			return aws.Credentials{}, nil, nil, &authError{failUnknownKey, msgInvalidToken}
		}
		who := &caller{arn: c.Principal, userID: stableID("AIDA", c.Principal), accessKey: akid}
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: c.SecretAccessKey}, who, nil, nil
	}
	if s, ok := e.sessions[akid]; ok {
		if subtle.ConstantTimeCompare([]byte(token), []byte(s.token)) != 1 {
			return aws.Credentials{}, nil, nil, &authError{failUnknownKey, msgInvalidToken}
		}
		who := &caller{arn: s.arn, userID: s.roleID, session: s}
		return aws.Credentials{AccessKeyID: akid, SecretAccessKey: s.secret, SessionToken: s.token}, who, s, nil
	}
	return aws.Credentials{}, nil, nil, &authError{failUnknownKey, msgInvalidToken}
}

// checkSkew compares X-Amz-Date with the injected clock, not with the
// advanced one: Advance simulates time passing for what the emulator issued,
// but clients keep signing with their own clocks.
func (e *Emulator) checkSkew(signTime time.Time) *authError {
	if e.maxSkew <= 0 {
		return nil
	}
	now := e.base().UTC()
	mins := int(e.maxSkew / time.Minute)
	switch {
	case signTime.Before(now.Add(-e.maxSkew)):
		return &authError{failBadSignature, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)",
			signTime.Format(amzDateFormat), now.Add(-e.maxSkew).Format(amzDateFormat), now.Format(amzDateFormat), mins)}
	case signTime.After(now.Add(e.maxSkew)):
		return &authError{failBadSignature, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %d min.)",
			signTime.Format(amzDateFormat), now.Add(e.maxSkew).Format(amzDateFormat), now.Format(amzDateFormat), mins)}
	}
	return nil
}

// unsignableHeaders are headers the SDK signer always skips; a client that
// claims to have signed one cannot be verified with it, so it is refused.
var unsignableHeaders = []string{"authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding"}

func signatureMatches(r *http.Request, body []byte, ah authHeader, creds aws.Credentials, signTime time.Time) bool {
	sum := sha256.Sum256(body)
	bodyHash := hex.EncodeToString(sum[:])
	// A declared payload hash must be the body's: otherwise a signature over
	// the declared hash would vouch for a body that was swapped in transit.
	if declared := r.Header.Get("X-Amz-Content-Sha256"); declared != "" && declared != bodyHash {
		return false
	}

	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	clone := &http.Request{
		Method: r.Method,
		URL:    &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: http.Header{},
	}
	for _, h := range ah.signedHeaders {
		switch {
		case h == "host":
			continue // the signer takes it from Host
		case h == "content-length":
			clone.ContentLength = r.ContentLength
			continue
		case slices.Contains(unsignableHeaders, h):
			return false
		}
		vals := r.Header.Values(h)
		if len(vals) == 0 {
			return false
		}
		clone.Header[textproto.CanonicalMIMEHeaderKey(h)] = vals
	}

	signer := v4.NewSigner()
	if err := signer.SignHTTP(context.Background(), creds, clone, bodyHash, ah.service, ah.region, signTime); err != nil {
		return false
	}
	want, err := parseAuthorization(clone.Header.Get("Authorization"))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(want.signature), []byte(ah.signature)) == 1 &&
		slices.Equal(want.signedHeaders, ah.signedHeaders)
}
