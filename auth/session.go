package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/api"
)

const (
	sessionPurpose    = "session"
	sessionCookieName = "secds_session"
	// Browsers drop cookies over about 4 KB; keep a margin for the name and
	// attributes.
	maxCookieValue = 3800
)

// ErrNoSession means the request carries no valid session.
var ErrNoSession = errors.New("no session")

// Session is a signed-in identity.
type Session struct {
	Identity abac.Identity `json:"id"`
	IssuedAt time.Time     `json:"iat"`
}

// SessionCookie seals a new session for id, which the caller has cut down to
// what the mapping reads (abac.Mapping.Keep). Nothing is ever left out here:
// an identity a browser cannot hold is refused, because a session without
// a claim an exclude rule reads would let its holder in.
func (a *Authenticator) SessionCookie(id abac.Identity) (*http.Cookie, error) {
	s := Session{Identity: id, IssuedAt: a.now().UTC()}
	sealed, err := a.codec.Seal(sessionPurpose, s, a.cfg.SessionTTL)
	if err != nil {
		return nil, err
	}
	if len(sealed) > maxCookieValue {
		return nil, &api.Error{Kind: api.KindBadRequest, Code: api.CodeSessionTooLarge, Message: fmt.Sprintf("Your account's groups and claims that the team mapping uses (%d of your groups) do not fit in a browser session (%d bytes; browsers keep about 4 KB). Tell the platform team: the mapping names too many of your groups.", len(id.Groups), len(sealed))}
	}
	return a.cookie(sessionCookieName, sealed, int(a.cfg.SessionTTL.Seconds())), nil
}

// ClearSessionCookie returns the cookie that ends a session.
func (a *Authenticator) ClearSessionCookie() *http.Cookie {
	return a.cookie(sessionCookieName, "", -1)
}

// Session reads the session from r, or returns ErrNoSession.
func (a *Authenticator) Session(r *http.Request) (*Session, error) {
	c, err := r.Cookie(a.cookieName(sessionCookieName))
	if err != nil {
		return nil, ErrNoSession
	}
	var s Session
	if err := a.codec.Open(sessionPurpose, c.Value, &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoSession, err)
	}
	return &s, nil
}
