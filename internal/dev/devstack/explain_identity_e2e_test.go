package devstack_test

import "testing"

// TestExplainNamesTheAdminToAWS: an admin's explain with notebooks assumes
// the team role in the admin's name (bob never signed in, and CloudTrail
// used to say he did); the audit event names the AWS identity used and the
// person explained, so a reviewer can join it to CloudTrail.
func TestExplainNamesTheAdminToAWS(t *testing.T) {
	e := start(t)
	admin := e.browser("admin").signIn()
	x := admin.explain(`{"username":"bob","email":"bob@example.com","groups":["ds-marketing"],"notebooks":true}`)
	if len(x.Notebooks) != 1 || x.Notebooks[0].Name != "marketing-bob" {
		t.Fatalf("explain for bob offers %+v, want marketing-bob (bob's tags decide)", x.Notebooks)
	}
	evs := e.auditEvents()
	var ev map[string]any
	for i := len(evs) - 1; i >= 0 && ev == nil; i-- {
		if evs[i]["type"] == "admin" && evs[i]["code"] == "explain" {
			ev = evs[i]
		}
	}
	if ev == nil {
		t.Fatalf("no explain event in the audit trail:\n%s", e.audit.String())
	}
	if ev["user"] != "admin" || ev["for"] != "bob" || ev["source_identity"] != "admin" {
		t.Errorf("explain event = %v, want user admin, for bob, source_identity admin", ev)
	}
}
