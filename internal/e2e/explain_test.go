package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// explanation is the part of POST /api/v1/admin/explain the comparison with
// /open reads.
type explanation struct {
	Granted []string
	Teams   []struct {
		Team    string
		Granted bool
		Reason  string
		Grant   *struct {
			RoleARN      string            `json:"role_arn"`
			NotebookTags map[string]string `json:"notebook_tags"`
		}
	}
	Notebooks []struct{ Team, Name, Status string }
}

func (a *apiUser) explain(req string) explanation {
	a.t.Helper()
	status, _, body := a.call(http.MethodPost, "/api/v1/admin/explain", []byte(req), map[string]string{"Content-Type": "application/json"})
	var x explanation
	if err := json.Unmarshal(body, &x); status != http.StatusOK || err != nil {
		a.t.Fatalf("explain %s = %d %s", req, status, body)
	}
	return x
}

func (x explanation) role(team string) string {
	for _, t := range x.Teams {
		if t.Team == team && t.Grant != nil {
			return t.Grant.RoleARN
		}
	}
	return ""
}

func TestExplainMatchesOpen(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	admin := apiAs(t, st, "admin")

	// Each person as the identity provider describes them (devidp.DemoUsers).
	people := map[string]string{
		"alice": `{"username":"alice","email":"alice@example.com","groups":["ds-fraud"],"notebooks":true}`,
		"bob":   `{"username":"bob","email":"bob@example.com","groups":["ds-marketing"],"notebooks":true}`,
		"carol": `{"username":"carol","email":"carol@example.com","notebooks":true}`,
	}
	check := func(t *testing.T, name string) {
		x := admin.explain(people[name])
		u := NewHTTPUser(t, st, name)
		p := u.Visit(st.URL + "/open")
		switch len(x.Notebooks) {
		case 0:
			p.MustContain(t, http.StatusForbidden, `data-code="no_team"`)
			if len(x.Granted) != 0 {
				t.Errorf("explain grants %v, /open grants nothing", x.Granted)
			}
		case 1:
			nb := x.Notebooks[0]
			p.MustContain(t, http.StatusOK, `id="notebook-name">`+nb.Name+`<`, `id="team">`+nb.Team+`<`)
			if ev := st.LastAudit(t, "open", name); ev["team"] != nb.Team || ev["role"] != x.role(nb.Team) {
				t.Errorf("/open used team %v role %v; explain said %s %s", ev["team"], ev["role"], nb.Team, x.role(nb.Team))
			}
		default:
			want := []string{"Which notebook?"}
			for _, nb := range x.Notebooks {
				// The chooser links the running ones and shows the others'
				// state.
				if nb.Status == "InService" {
					want = append(want, fmt.Sprintf("/open?team=%s&amp;notebook=%s", nb.Team, nb.Name))
				} else {
					want = append(want, fmt.Sprintf(`id="choice-%s" data-status="%s"`, nb.Name, nb.Status))
				}
			}
			p.MustContain(t, http.StatusOK, want...)
			nb := x.Notebooks[0]
			u.Visit(st.URL+"/open?notebook="+nb.Name).MustContain(t, http.StatusOK, `id="notebook-name">`+nb.Name+`<`)
			if ev := st.LastAudit(t, "open", name); ev["role"] != x.role(nb.Team) {
				t.Errorf("/open used role %v; explain said %s", ev["role"], x.role(nb.Team))
			}
		}
	}
	for _, name := range []string{"alice", "bob", "carol"} {
		t.Run(name, func(t *testing.T) { check(t, name) })
	}

	// An admin excludes alice from fraud by a claim: explain and /open agree
	// on the new mapping at once.
	cur, etag := admin.getMapping()
	excluded := edit(t, cur, "      - groups: [ds-fraud]\n", "      - groups: [ds-fraud]\n    exclude:\n      - claims:\n          - path: email\n            equals: [alice@example.com]\n")
	if status, _, body := admin.putMapping(excluded, etag); status != http.StatusOK {
		t.Fatalf("PUT = %d %s", status, body)
	}
	// The exclude reads the email claim, which no session kept: sessions are
	// stale, the admin's too, and sign in again (a browser does so itself).
	admin = apiAs(t, st, "admin")
	x := admin.explain(people["alice"])
	if len(x.Granted) != 0 || !strings.Contains(x.Teams[0].Reason, "exclude rule 1") {
		t.Errorf("explain after the exclude = %+v", x)
	}
	t.Run("alice excluded", func(t *testing.T) { check(t, "alice") })
}

// TestExplainNamesTheAdminToAWS: an admin's explain with notebooks assumes
// the team role in the admin's name (bob never signed in, and CloudTrail
// used to say he did); the audit event names the AWS identity used and the
// person explained, so a reviewer can join it to CloudTrail.
func TestExplainNamesTheAdminToAWS(t *testing.T) {
	t.Parallel()
	st := StartStack(t, StackOptions{})
	admin := apiAs(t, st, "admin")
	x := admin.explain(`{"username":"bob","email":"bob@example.com","groups":["ds-marketing"],"notebooks":true}`)
	if len(x.Notebooks) != 1 || x.Notebooks[0].Name != "marketing-bob" {
		t.Fatalf("explain for bob offers %+v, want marketing-bob (bob's tags decide)", x.Notebooks)
	}
	evs := st.AuditEvents(t)
	var ev map[string]any
	for i := len(evs) - 1; i >= 0 && ev == nil; i-- {
		if evs[i]["type"] == "admin" && evs[i]["code"] == "explain" {
			ev = evs[i]
		}
	}
	if ev == nil {
		t.Fatalf("no explain event in the audit trail:\n%s", st.Audit.String())
	}
	if ev["user"] != "admin" || ev["for"] != "bob" || ev["source_identity"] != "admin" {
		t.Errorf("explain event = %v, want user admin, for bob, source_identity admin", ev)
	}
}
