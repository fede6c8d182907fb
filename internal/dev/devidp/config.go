package devidp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// User is a demo identity the login page offers.
type User struct {
	Subject  string         // stable "sub"; defaults to "dev-" + Username
	Username string         // "preferred_username"
	Name     string         // "name"
	Email    string         // "email" (always reported as verified)
	Groups   []string       // "groups"
	Extra    map[string]any // extra claims merged into the ID token and userinfo, e.g. {"cognito:groups": [...]}
}

// Client is a registered confidential OAuth 2.0 client.
type Client struct {
	ID           string
	Secret       string
	RedirectURIs []string // matched exactly, as OAuth 2.0 Security BCP requires
}

// Config configures a Provider.
type Config struct {
	// Issuer is the provider's URL, e.g. "http://127.0.0.1:5556" or
	// "http://127.0.0.1:5556/dex"; endpoints are served under its path.
	Issuer  string
	Clients []Client
	// Users are the identities offered on the login page; DemoUsers when empty.
	Users []User
	// Now is the clock; time.Now when nil. Advance shifts it further.
	Now func() time.Time
	// TokenTTL is the lifetime of ID and access tokens; 1h when zero.
	TokenTTL time.Duration
}

const defaultTokenTTL = time.Hour

// protocolClaims are set by the provider itself; letting User.Extra override
// them would let a typo in a test fixture forge the issuer or audience.
var protocolClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "auth_time", "nonce", "at_hash", "azp", "jti", "acr", "amr"}

// validate checks the whole config in one pass and returns every problem,
// so a broken dev config is fixed in one edit rather than one error at a time.
func (c Config) validate() error {
	var errs []error
	if err := validateIssuer(c.Issuer); err != nil {
		errs = append(errs, err)
	}
	if c.TokenTTL < 0 {
		errs = append(errs, fmt.Errorf("token TTL %s: must not be negative", c.TokenTTL))
	}
	if len(c.Clients) == 0 {
		errs = append(errs, errors.New("clients: at least one client is required"))
	}
	seenClients := map[string]bool{}
	for i, cl := range c.Clients {
		errs = append(errs, validateClient(i, cl, seenClients)...)
	}
	seenUsers := map[string]bool{}
	for i, u := range c.Users {
		errs = append(errs, validateUser(i, u, seenUsers)...)
	}
	return errors.Join(errs...)
}

func validateIssuer(issuer string) error {
	if issuer == "" {
		return errors.New("issuer: required")
	}
	u, err := url.Parse(issuer)
	if err != nil {
		return fmt.Errorf("issuer %q: %w", issuer, err)
	}
	// OpenID Connect Discovery 1.0 §2: a URL using the https (or, for us,
	// http) scheme with no query or fragment component.
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return fmt.Errorf("issuer %q: must be an http(s) URL with a host and no user info, query or fragment", issuer)
	}
	return nil
}

func validateClient(i int, cl Client, seen map[string]bool) []error {
	var errs []error
	where := fmt.Sprintf("clients[%d] %q", i, cl.ID)
	switch {
	case cl.ID == "":
		errs = append(errs, fmt.Errorf("%s: id required", where))
	case seen[cl.ID]:
		errs = append(errs, fmt.Errorf("%s: duplicate id", where))
	}
	seen[cl.ID] = true
	if cl.Secret == "" {
		errs = append(errs, fmt.Errorf("%s: secret required (only confidential clients are supported)", where))
	}
	if len(cl.RedirectURIs) == 0 {
		errs = append(errs, fmt.Errorf("%s: at least one redirect URI is required", where))
	}
	for _, ru := range cl.RedirectURIs {
		u, err := url.Parse(ru)
		// RFC 6749 §3.1.2: absolute URI without a fragment.
		if err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" || strings.Contains(ru, "#") {
			errs = append(errs, fmt.Errorf("%s: redirect URI %q: must be an absolute URL without a fragment", where, ru))
		}
	}
	return errs
}

func validateUser(i int, u User, seen map[string]bool) []error {
	var errs []error
	where := fmt.Sprintf("users[%d] %q", i, u.Username)
	switch {
	case u.Username == "":
		errs = append(errs, fmt.Errorf("%s: username required", where))
	case seen[u.Username]:
		errs = append(errs, fmt.Errorf("%s: duplicate username", where))
	}
	seen[u.Username] = true
	for _, k := range protocolClaims {
		if _, ok := u.Extra[k]; ok {
			errs = append(errs, fmt.Errorf("%s: extra claim %q is set by the provider and cannot be overridden", where, k))
		}
	}
	if _, err := json.Marshal(u.Extra); err != nil {
		errs = append(errs, fmt.Errorf("%s: extra claims are not JSON: %w", where, err))
	}
	return errs
}

// normalizeUser fills defaults and deep-copies the slices and map so a caller
// mutating its Config after New cannot race with request handling.
func normalizeUser(u User) User {
	if u.Subject == "" {
		u.Subject = "dev-" + u.Username
	}
	u.Groups = append([]string(nil), u.Groups...)
	if u.Extra != nil {
		// A JSON round trip is a deep copy, and the claims end up as JSON
		// anyway; validate has already checked that they marshal.
		raw, _ := json.Marshal(u.Extra)
		var extra map[string]any
		_ = json.Unmarshal(raw, &extra)
		u.Extra = extra
	}
	return u
}
