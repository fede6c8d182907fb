package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime/debug"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/api"
)

// Paths of the CLI login, stable once shipped: CLIs store them.
const (
	cliLoginPath  = "/cli/login"
	tokenPath     = "/api/v1/cli/token"
	apiBasePath   = "/api/v1"
	maxAPIRequest = 64 << 10
)

func (s *Server) wellKnown(c echo.Context) error {
	base := s.cfg.PublicURL.String()
	conf := api.Configuration{
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

func (s *Server) apiMe(c echo.Context) error {
	id := identityOf(c)
	groups := id.Groups
	if groups == nil {
		groups = []string{}
	}
	me := api.MeResponse{Identity: api.MeIdentity{Subject: id.Subject, Username: id.Username, Email: id.Email, Groups: groups}}
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
	ov, err := s.cfg.Broker.List(c.Request().Context(), id, s.meta(c, "api"))
	if err != nil {
		p := toProblem(err)
		me.Problem = p.wire()
	}
	me.Teams, me.Notebooks, me.Studios, me.Admin = ov.Teams, notebooks(s.mapping(), ov.Notebooks), ov.Studios, ov.Admin
	if me.Teams == nil {
		me.Teams = []string{}
	}
	if me.Notebooks == nil {
		me.Notebooks = []api.Notebook{}
	}
	return c.JSON(http.StatusOK, me)
}

func (s *Server) apiOpen(c echo.Context) error {
	id := identityOf(c)
	var req api.OpenRequest
	if err := decodeJSONLike(c, &req, `{"notebook":"NAME","team":"TEAM"}`); err != nil {
		return err
	}
	if req.Studio || req.Space != "" {
		return s.apiOpenStudio(c, id, req)
	}
	res, err := s.cfg.Broker.Open(c.Request().Context(), id, broker.OpenRequest{Team: req.Team, Notebook: req.Notebook, RequestMeta: s.meta(c, "api")})
	if err != nil {
		return err
	}
	if len(res.Choices) > 0 {
		// Not a failure of the broker but a question to the caller, so it is
		// answered here rather than by the error handler.
		return c.JSON(http.StatusConflict, api.ChoicesResponse{
			Error: api.ErrorBody{Code: api.CodeChooseNotebook, RequestID: requestID(c),
				Message: "Several notebooks are yours; name one (and its team), e.g. secds open NOTEBOOK --team TEAM."},
			Choices: notebooks(s.mapping(), res.Choices),
		})
	}
	if res.Waiting() {
		return s.apiOpenWait(c, res)
	}
	return c.JSON(http.StatusOK, api.OpenResponse{URL: res.URL, ExpiresAt: res.ExpiresAt.UTC(), Team: res.Team, Notebook: res.Notebook})
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
		return &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadRequest, Message: msg + ".", Err: err}
	}
	return nil
}

// notebooks is the broker's notebooks as the API shows them, with whether
// opening each starts it under mapping m; nil stays nil.
func notebooks(m *abac.Mapping, nbs []broker.Notebook) []api.Notebook {
	if nbs == nil {
		return nil
	}
	out := make([]api.Notebook, len(nbs))
	for i, nb := range nbs {
		out[i] = api.Notebook{Team: nb.Team, Name: nb.Name, Status: nb.Status, Starts: broker.OpensStarting(m, nb), Compliance: nb.Compliance}
	}
	return out
}
