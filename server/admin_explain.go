package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// explainIdentity is the identity r describes, read as at sign-in.
func explainIdentity(r api.ExplainRequest, paths auth.ClaimPaths) (abac.Identity, error) {
	// auth's defaults, for the paths a deployment leaves unset.
	if paths.Username == "" {
		paths.Username = "preferred_username"
	}
	if paths.Email == "" {
		paths.Email = "email"
	}
	if paths.Groups == "" {
		paths.Groups = "groups"
	}
	claims := make(map[string]any, len(r.Claims)+4)
	for k, v := range r.Claims {
		claims[k] = v
	}
	if v := strings.TrimSpace(r.Username); v != "" {
		claims[paths.Username] = v
	}
	if v := strings.TrimSpace(r.Email); v != "" {
		claims[paths.Email] = v
	}
	if len(r.Groups) > 0 {
		claims[paths.Groups] = r.Groups
	}
	if r.Subject != "" {
		claims["sub"] = r.Subject
	}
	if _, ok := claims["sub"]; !ok {
		claims["sub"] = "explain"
	}
	id, err := auth.IdentityFromClaims(claims, paths)
	if err != nil {
		return abac.Identity{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadIdentity, Err: err,
			Message: "This person would not get past sign-in: " + err.Error() + ". Give a username or email (and groups), or the claims of an ID token."}
	}
	return id, nil
}

// explain evaluates the live mapping for id as an open would, and records
// that an admin asked.
func (s *Server) explain(c echo.Context, live LiveMapping, admin, id abac.Identity, withNotebooks bool, via string) api.ExplainResponse {
	st := live.State()
	res := api.ExplainResponse{Identity: id, Admin: st.Mapping.IsAdmin(id), MappingVersion: st.Serving.Number, Granted: []string{}, Teams: st.Mapping.Explain(id)}
	for _, t := range res.Teams {
		if t.Granted {
			res.Granted = append(res.Granted, t.Team)
		}
	}
	var sourceIdentity string
	if withNotebooks {
		ov, name, err := s.cfg.Broker.ListFor(c.Request().Context(), admin, id)
		if err != nil {
			p := toProblem(err)
			res.NotebooksProblem = p.wire()
		}
		res.Notebooks, res.Studios, sourceIdentity = notebooks(s.mapping(), ov.Notebooks), ov.Studios, name
	}
	// The event names the AWS identity the calls were made as, so a
	// reviewer who finds them in CloudTrail finds this event too.
	s.record(audit.Event{Type: audit.TypeAdmin, Decision: audit.Granted, Code: "explain", Subject: admin.Subject, Username: admin.Username,
		For: id.Username, SourceIdentity: sourceIdentity, Path: c.Request().URL.Path, ClientIP: c.RealIP(), RequestID: requestID(c), Via: via, TokenID: tokenID(c)})
	return res
}

// POST /api/v1/admin/explain.
func (s *Server) apiExplain(c echo.Context) error {
	admin, live := identityOf(c), s.cfg.Mapping
	var req api.ExplainRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	id, err := explainIdentity(req, s.cfg.Claims)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.explain(c, live, admin, id, req.Notebooks, "api"))
}
