package e2e

import (
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secds/secds/internal/dev/devidp"
)

// LoginApp is the login and consent app Hydra hands its users to: Hydra has
// no user database or login page of its own. It shows the demo users as
// buttons (no passwords: this is a test), accepts the login through Hydra's
// admin API, and accepts the consent with the user's username, email and
// groups as ID-token claims — what a company's login app would do.
type LoginApp struct {
	URL string
	// admin is set once Hydra runs, while the server already serves: the
	// race detector cannot see that no request arrives before then.
	admin  atomic.Pointer[HydraAdmin]
	users  []devidp.User
	server *httptest.Server

	mu     sync.Mutex
	logins []string // usernames, in the order they signed in
}

// newLoginApp starts the app; its admin client is set once Hydra runs,
// because Hydra in turn needs the app's URLs to start.
func newLoginApp(users []devidp.User) (*LoginApp, error) {
	a := &LoginApp{users: users}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.showLogin)
	mux.HandleFunc("POST /login", a.acceptLogin)
	mux.HandleFunc("GET /consent", a.consent)
	ln, err := net.Listen("tcp", net.JoinHostPort(ProviderHost, "0"))
	if err != nil {
		return nil, fmt.Errorf("start the login app: %w", err)
	}
	a.server = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	a.server.Start()
	a.URL = a.server.URL
	return a, nil
}

// Close stops the app.
func (a *LoginApp) Close() { a.server.Close() }

// Logins returns the usernames that signed in, oldest first.
func (a *LoginApp) Logins() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.logins)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in — test company login</title></head>
<body>
<h1 id="login-title">Sign in to continue to {{.Client}}</h1>
<form method="post" action="/login">
<input type="hidden" name="login_challenge" value="{{.Challenge}}">
{{range .Users}}<p><button type="submit" id="login-{{.Username}}" name="username" value="{{.Username}}">{{.Name}} ({{.Username}})</button></p>
{{end}}</form>
</body></html>
`))

func (a *LoginApp) showLogin(w http.ResponseWriter, r *http.Request) {
	lr, err := a.admin.Load().GetLoginRequest(r.Context(), r.URL.Query().Get("login_challenge"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if lr.Skip {
		a.finishLogin(w, r, lr.Challenge, lr.Subject)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = loginPage.Execute(w, map[string]any{"Client": lr.Client.ID, "Challenge": lr.Challenge, "Users": a.users})
}

func (a *LoginApp) acceptLogin(w http.ResponseWriter, r *http.Request) {
	u, ok := a.user(func(u devidp.User) bool { return u.Username == r.PostFormValue("username") })
	if !ok {
		http.Error(w, "unknown user", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.logins = append(a.logins, u.Username)
	a.mu.Unlock()
	a.finishLogin(w, r, r.PostFormValue("login_challenge"), u.Subject)
}

func (a *LoginApp) finishLogin(w http.ResponseWriter, r *http.Request, challenge, subject string) {
	to, err := a.admin.Load().AcceptLogin(r.Context(), challenge, subject)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

// consent is granted without a page: the broker is a first-party client.
func (a *LoginApp) consent(w http.ResponseWriter, r *http.Request) {
	cr, err := a.admin.Load().GetConsentRequest(r.Context(), r.URL.Query().Get("consent_challenge"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	u, ok := a.user(func(u devidp.User) bool { return u.Subject == cr.Subject })
	if !ok {
		http.Error(w, "unknown subject", http.StatusBadRequest)
		return
	}
	groups := u.Groups
	if groups == nil {
		groups = []string{} // a user in no group still gets the claim
	}
	claims := map[string]any{
		"preferred_username": u.Username,
		"name":               u.Name,
		"email":              u.Email,
		"email_verified":     true,
		"groups":             groups,
	}
	for k, v := range u.Extra {
		claims[k] = v
	}
	to, err := a.admin.Load().AcceptConsent(r.Context(), cr, claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

func (a *LoginApp) user(match func(devidp.User) bool) (devidp.User, bool) {
	i := slices.IndexFunc(a.users, match)
	if i < 0 {
		return devidp.User{}, false
	}
	return a.users[i], true
}
