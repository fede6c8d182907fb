package server

import (
	"context"
	"net/http"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/mapstore"
)

// The HTTP layer's collaborators, declared here with only the methods it
// calls (as broker declares STSAPI and SageMakerAPI): auth.Authenticator,
// broker.Broker, auth.Tokens and mapstore.Live satisfy them
// (internal/compose asserts it), and the server's own tests put small fakes
// or the real network-free pieces in their place.

// Authenticator signs people in and keeps their sessions: auth.Authenticator.
type Authenticator interface {
	// BeginLogin and FinishLogin are the two legs of the OIDC code flow.
	BeginLogin(ctx context.Context, r *http.Request, next string) (auth.LoginStart, error)
	FinishLogin(ctx context.Context, r *http.Request) (abac.Identity, string, *http.Cookie, error)
	// Session opens the session cookie, or returns auth.ErrNoSession.
	Session(r *http.Request) (*auth.Session, error)
	SessionCookie(id abac.Identity) (*http.Cookie, error)
	ClearSessionCookie() *http.Cookie
	// Codec seals the CSRF tokens with the cookie keys.
	Codec() *auth.Codec
	// Ready reports whether the identity provider can be reached.
	Ready(ctx context.Context) error
}

// Broker opens and lists notebooks: broker.Broker.
type Broker interface {
	Open(ctx context.Context, id abac.Identity, req broker.OpenRequest) (broker.OpenResult, error)
	OpenStudio(ctx context.Context, id abac.Identity, req broker.StudioRequest) (broker.OpenResult, error)
	List(ctx context.Context, id abac.Identity, meta broker.RequestMeta) (broker.Overview, error)
	// Status is a notebook's state, for a waiting page or CLI to poll.
	Status(ctx context.Context, id abac.Identity, req broker.StatusRequest) (broker.NotebookStatus, error)
	// ListFor lists what id would be offered, with AWS calls made in
	// admin's name; it also returns that name.
	ListFor(ctx context.Context, admin, id abac.Identity) (broker.Overview, string, error)
	// Estate lists every notebook m's teams can reach, with compliance,
	// with AWS calls made in admin's name; it also returns that name.
	Estate(ctx context.Context, admin abac.Identity, m *abac.Mapping) (broker.Estate, string, error)
}

// Tokens issues and verifies the CLI's broker tokens: auth.Tokens.
type Tokens interface {
	Verify(raw string) (auth.Verified, error)
	// NewCode and Redeem are the CLI login's one-time code and its
	// exchange for a token.
	NewCode(id abac.Identity, challenge, redirectURI string) (string, error)
	// NewUserCode is paste mode's short code, kept by the broker.
	NewUserCode(ctx context.Context, id abac.Identity, challenge string) (string, error)
	Redeem(ctx context.Context, code, verifier, redirectURI string) (auth.Token, abac.Identity, error)
	TTL() time.Duration
}

// LiveMapping is the team mapping the broker serves and the store it comes
// from: mapstore.Live.
type LiveMapping interface {
	Mapping() *abac.Mapping
	State() mapstore.State
	// Store is nil for a fixed mapping: no history, no edits.
	Store() mapstore.Store
	// Name is the file name problems are reported against.
	Name() string
	// Parse validates content as the live mapping would.
	Parse(content []byte) (*abac.Mapping, error)
	Update(ctx context.Context, u mapstore.Update) (mapstore.Revision, error)
	Rollback(ctx context.Context, number int64, u mapstore.Update) (mapstore.Revision, error)
	Import(ctx context.Context, in mapstore.ImportInput, by mapstore.By) (mapstore.ImportResult, error)
}
