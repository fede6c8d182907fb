package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/broker"
)

// Paths of the CLI login, stable once shipped: CLIs store them.
const (
	cliLoginPath  = "/cli/login"
	tokenPath     = "/api/v1/cli/token"
	apiBasePath   = "/api/v1"
	chooseCode    = "choose_notebook"
	maxAPIRequest = 64 << 10
)

// configuration is GET /.well-known/secds-configuration: what `secds
// configure` stores about a broker.
type configuration struct {
	BrokerURL       string `json:"broker_url"`
	CLILoginPath    string `json:"cli_login_path"`
	TokenEndpoint   string `json:"token_endpoint"`
	APIBase         string `json:"api_base"`
	Version         string `json:"version"`
	CLILogin        bool   `json:"cli_login"` // false when the broker has no token keys
	TokenTTLSeconds int    `json:"token_ttl_seconds,omitempty"`
}

func (s *Server) wellKnown(c echo.Context) error {
	base := s.cfg.PublicURL.String()
	conf := configuration{
		BrokerURL: base, CLILoginPath: cliLoginPath, TokenEndpoint: base + tokenPath, APIBase: base + apiBasePath,
		Version: version(), CLILogin: s.cfg.Tokens != nil,
	}
	if s.cfg.Tokens != nil {
		conf.TokenTTLSeconds = int(s.cfg.Tokens.TTL().Seconds())
	}
	return c.JSON(http.StatusOK, conf)
}

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// meIdentity is who the caller is, without the raw claims.
type meIdentity struct {
	Subject  string   `json:"sub"`
	Username string   `json:"username"`
	Email    string   `json:"email,omitempty"`
	Groups   []string `json:"groups"`
}

// apiProblem is a refusal reported inside a successful answer, such as "no
// team" on GET /api/v1/me; Status is what the refusal would have been.
type apiProblem struct {
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// meResponse is GET /api/v1/me. List problems (no team, AWS down) do not
// fail the call: the caller still learns who it is, and Problem says why
// nothing is listed.
type meResponse struct {
	Identity       meIdentity        `json:"identity"`
	Teams          []string          `json:"teams"`
	Notebooks      []broker.Notebook `json:"notebooks"`
	Admin          bool              `json:"admin"`
	Problem        *apiProblem       `json:"problem,omitempty"`
	Auth           string            `json:"auth"`                      // "token" or "session"
	TokenExpiresAt time.Time         `json:"token_expires_at,omitzero"` // with a token
	CSRFToken      string            `json:"csrf_token,omitempty"`      // with a session: send it as X-CSRF-Token
}

func (s *Server) apiMe(c echo.Context) error {
	id := identityOf(c)
	groups := id.Groups
	if groups == nil {
		groups = []string{}
	}
	me := meResponse{Identity: meIdentity{Subject: id.Subject, Username: id.Username, Email: id.Email, Groups: groups}}
	a := authOf(c)
	me.Auth = a.Via
	switch {
	case a.Token != nil:
		me.TokenExpiresAt = a.Token.ExpiresAt.UTC()
	case a.Session != nil:
		var err error
		if me.CSRFToken, err = s.csrfToken(a.Session); err != nil {
			return err
		}
	}
	ov, err := s.cfg.Broker.List(c.Request().Context(), id)
	if err != nil {
		p := toProblem(err)
		me.Problem = &apiProblem{Status: p.Status, Code: p.Code, Message: p.Message}
	}
	me.Teams, me.Notebooks, me.Admin = ov.Teams, ov.Notebooks, ov.Admin
	if me.Teams == nil {
		me.Teams = []string{}
	}
	if me.Notebooks == nil {
		me.Notebooks = []broker.Notebook{}
	}
	return c.JSON(http.StatusOK, me)
}

// openRequest is the body of POST /api/v1/open; both fields may be empty.
type openRequest struct {
	Team     string `json:"team,omitempty"`
	Notebook string `json:"notebook,omitempty"`
}

// openResponse is a 200 answer of POST /api/v1/open. URL is a bearer secret
// that works once, within five minutes.
type openResponse struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	Team      string    `json:"team"`
	Notebook  string    `json:"notebook"`
}

// choicesResponse is the 409 answer of POST /api/v1/open when several
// notebooks fit: the usual error object, code choose_notebook, plus the
// choices. Asking again with one choice's team and name opens it.
type choicesResponse struct {
	Error   errorBody         `json:"error"`
	Choices []broker.Notebook `json:"choices"`
}

// errorBody is the error object of every API error answer.
type errorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

func (s *Server) apiOpen(c echo.Context) error {
	id := identityOf(c)
	var req openRequest
	if err := decodeJSONLike(c, &req, `{"notebook":"NAME","team":"TEAM"}`); err != nil {
		return err
	}
	res, err := s.cfg.Broker.Open(c.Request().Context(), id, broker.OpenRequest{Team: req.Team, Notebook: req.Notebook, RequestMeta: s.meta(c, "api")})
	if err != nil {
		return err
	}
	if len(res.Choices) > 0 {
		// Not a failure of the broker but a question to the caller, so it is
		// answered here rather than by the error handler.
		return c.JSON(http.StatusConflict, choicesResponse{
			Error: errorBody{Code: chooseCode, RequestID: requestID(c),
				Message: "Several notebooks are yours; name one (and its team), e.g. secds open NOTEBOOK --team TEAM."},
			Choices: res.Choices,
		})
	}
	return c.JSON(http.StatusOK, openResponse{URL: res.URL, ExpiresAt: res.ExpiresAt.UTC(), Team: res.Team, Notebook: res.Notebook})
}

// decodeJSON reads an optional JSON object body into v; an empty body leaves
// v as it is.
func decodeJSON(c echo.Context, v any) error { return decodeJSONLike(c, v, "") }

// decodeJSONLike is decodeJSON whose refusal shows an example body.
func decodeJSONLike(c echo.Context, v any, example string) error {
	dec := json.NewDecoder(io.LimitReader(c.Request().Body, maxAPIRequest))
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		msg := "The request body must be a JSON object"
		if example != "" {
			msg += " such as " + example
		}
		return &apiError{Status: http.StatusBadRequest, Code: "bad_request", Message: msg + ".", Err: err}
	}
	return nil
}
