package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/internal/audit"
)

// explainRequest is the body of POST /api/v1/admin/explain: a person as
// their identity provider would describe them. Username, email and groups go
// where the broker's claim paths read them, over Claims (any other claims,
// or a whole ID token's), and the result is read exactly as at sign-in.
type explainRequest struct {
	Subject  string         `json:"sub,omitempty"`
	Username string         `json:"username,omitempty"`
	Email    string         `json:"email,omitempty"`
	Groups   []string       `json:"groups,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
	// Notebooks also lists the notebooks the person would be offered. It
	// assumes each team role with the person's session tags but in the
	// admin's name (CloudTrail shows the admin as SourceIdentity and
	// RoleSessionName, with user=<person> among the tags), so it is asked
	// for, not done by default.
	Notebooks bool `json:"notebooks,omitempty"`
}

func (r explainRequest) identity(paths auth.ClaimPaths) (abac.Identity, error) {
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
		return abac.Identity{}, &apiError{Status: http.StatusBadRequest, Code: "bad_identity", Err: err,
			Message: "This person would not get past sign-in: " + err.Error() + ". Give a username or email (and groups), or the claims of an ID token."}
	}
	return id, nil
}

// explainResponse says which teams the person gets and why, per team.
type explainResponse struct {
	Identity         abac.Identity          `json:"identity"`
	Admin            bool                   `json:"admin"`
	MappingVersion   int64                  `json:"mapping_version"`
	Granted          []string               `json:"granted"`
	Teams            []abac.TeamExplanation `json:"teams"`
	Notebooks        []broker.Notebook      `json:"notebooks,omitempty"`
	NotebooksProblem *apiProblem            `json:"notebooks_problem,omitempty"`
}

// explain evaluates the live mapping for id as an open would, and records
// that an admin asked.
func (s *Server) explain(c echo.Context, live LiveMapping, admin, id abac.Identity, notebooks bool, via string) explainResponse {
	st := live.State()
	res := explainResponse{Identity: id, Admin: st.Mapping.IsAdmin(id), MappingVersion: st.Serving.Number, Granted: []string{}, Teams: st.Mapping.Explain(id)}
	for _, t := range res.Teams {
		if t.Granted {
			res.Granted = append(res.Granted, t.Team)
		}
	}
	var sourceIdentity string
	if notebooks {
		ov, name, err := s.cfg.Broker.ListFor(c.Request().Context(), admin, id)
		if err != nil {
			p := toProblem(err)
			res.NotebooksProblem = &apiProblem{Status: p.Status, Code: p.Code, Message: p.Message}
		}
		res.Notebooks, sourceIdentity = ov.Notebooks, name
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
	var req explainRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	id, err := req.identity(s.cfg.Claims)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.explain(c, live, admin, id, req.Notebooks, "api"))
}
