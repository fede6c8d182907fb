package broker_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/testutil"
)

// postureTeams is the dev mapping with the baseline required of every
// team, enforced, and marketing only warned.
func postureTeams(t *testing.T) []byte {
	t.Helper()
	m := bytes.Replace(testutil.WithoutRequire(configs.DevTeams), []byte("  notebook_session_seconds: 3600\n"), []byte(`  notebook_session_seconds: 3600
  require:
    direct_internet_access: Disabled
    root_access: Disabled
    kms_key: [arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab]
    subnets: [subnet-0123456789abcdef0]
    security_groups: [sg-0123456789abcdef0]
    instance_types: [ml.t3.*]
    execution_roles: ["arn:aws:iam::123456789012:role/sagemaker-*"]
`), 1)
	m = bytes.Replace(m, []byte("      cost-center: cc-2077\n"), []byte("      cost-center: cc-2077\n    require: {mode: warn}\n"), 1)
	if !bytes.Contains(m, []byte("mode: warn")) || !bytes.Contains(m, []byte("subnets:")) {
		t.Fatal("the dev mapping changed: postureTeams no longer applies")
	}
	return m
}

// compliantNotebook meets postureTeams' baseline.
func compliantNotebook(name, team, owner string) awsemu.Notebook {
	return awsemu.Notebook{Name: name, Tags: map[string]string{"team": team, "owner": owner},
		DirectInternetAccess: "Disabled", RootAccess: "Disabled", KmsKeyID: "1234abcd-12ab-34cd-56ef-1234567890ab",
		SubnetID: "subnet-0123456789abcdef0", SecurityGroups: []string{"sg-0123456789abcdef0"},
		InstanceType: "ml.t3.medium", RoleARN: "arn:aws:iam::123456789012:role/sagemaker-fraud"}
}

// In enforce mode, a compliant notebook opens and each requirement, missed,
// refuses the open with its own words, an audit event with reason posture
// and the unmet requirement; in warn mode the URL is issued and the same
// requirements recorded.
func TestPostureEnforceAndWarn(t *testing.T) {
	violations := map[string]func(*awsemu.Notebook){
		"direct_internet_access=Enabled": func(n *awsemu.Notebook) { n.DirectInternetAccess = "Enabled" },
		"root_access=Enabled":            func(n *awsemu.Notebook) { n.RootAccess = "Enabled" },
		"kms_key=none":                   func(n *awsemu.Notebook) { n.KmsKeyID = "" },
		"subnets=subnet-0fedcba987654321f": func(n *awsemu.Notebook) {
			n.SubnetID = "subnet-0fedcba987654321f"
		},
		"security_groups=sg-0fedcba987654321f": func(n *awsemu.Notebook) { n.SecurityGroups = []string{"sg-0fedcba987654321f"} },
		"instance_types=ml.p3.2xlarge":         func(n *awsemu.Notebook) { n.InstanceType = "ml.p3.2xlarge" },
		"execution_roles=arn:aws:iam::123456789012:role/admin": func(n *awsemu.Notebook) {
			n.RoleARN = "arn:aws:iam::123456789012:role/admin"
		},
	}
	words := map[string]string{
		"direct_internet_access=Enabled":                       "can reach the internet (DirectInternetAccess=Enabled)",
		"root_access=Enabled":                                  "root access",
		"kms_key=none":                                         "customer-managed KMS key",
		"subnets=subnet-0fedcba987654321f":                     "subnet subnet-0fedcba987654321f",
		"security_groups=sg-0fedcba987654321f":                 "security group sg-0fedcba987654321f",
		"instance_types=ml.p3.2xlarge":                         "instance type ml.p3.2xlarge",
		"execution_roles=arn:aws:iam::123456789012:role/admin": "role arn:aws:iam::123456789012:role/admin",
	}
	var nbs []awsemu.Notebook
	nbs = append(nbs, compliantNotebook("fraud-carol-ok", "fraud", "carol"), compliantNotebook("marketing-carol-ok", "marketing", "carol"))
	i := 0
	names := map[string]string{}
	for unmet, change := range violations {
		i++
		for _, team := range []string{"fraud", "marketing"} {
			nb := compliantNotebook(team+"-carol-bad"+string(rune('a'+i)), team, "carol")
			change(&nb)
			nbs = append(nbs, nb)
			names[team+unmet] = nb.Name
		}
	}
	r := newRigOpts(t, postureTeams(t), rigOptions{notebooks: nbs})
	carol := abac.Identity{Subject: "dev-carol", Username: "carol", Groups: []string{"ds-fraud", "ds-marketing"}}
	open := func(team, name string) (broker.OpenResult, error) {
		return r.b.Open(context.Background(), carol, broker.OpenRequest{Team: team, Notebook: name, RequestMeta: meta})
	}
	for _, team := range []string{"fraud", "marketing"} {
		if res, err := open(team, team+"-carol-ok"); err != nil || res.URL == "" {
			t.Fatalf("compliant %s notebook: %v", team, err)
		}
		if ev := r.audit.last(); ev.Decision != audit.Granted || len(ev.Unmet) != 0 || ev.Code != "" {
			t.Errorf("compliant open's event = %+v", ev)
		}
	}
	for unmet := range violations {
		name := names["fraud"+unmet]
		_, err := open("fraud", name)
		e := api.As(err)
		if e.Code != api.CodeNotebookNoncompliant || e.Kind != api.KindForbidden || !strings.Contains(e.Message, words[unmet]) ||
			!strings.Contains(e.Message, "ask your platform team") || !strings.Contains(e.Message, "data platform team (#ds-platform)") {
			t.Errorf("enforce, %s: %v", unmet, err)
		}
		ev := r.audit.last()
		if ev.Decision != audit.Denied || ev.Reason != "posture" || ev.Code != string(api.CodeNotebookNoncompliant) ||
			len(ev.Unmet) != 1 || ev.Unmet[0] != unmet || ev.PostureMode != "enforce" || ev.Notebook != name {
			t.Errorf("enforce, %s: event %+v", unmet, ev)
		}

		name = names["marketing"+unmet]
		res, err := open("marketing", name)
		if err != nil || res.URL == "" {
			t.Errorf("warn, %s: %v", unmet, err)
		}
		ev = r.audit.last()
		if ev.Decision != audit.Granted || ev.Reason != "posture" || ev.Code != "posture_warning" ||
			len(ev.Unmet) != 1 || ev.Unmet[0] != unmet || ev.PostureMode != "warn" {
			t.Errorf("warn, %s: event %+v", unmet, ev)
		}
	}
}

// A notebook's description is reused for a minute, then asked again, so a
// change to the notebook counts from the first open after that.
func TestPostureDescriptionIsCachedBriefly(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	r := newRigOpts(t, postureTeams(t), rigOptions{notebooks: []awsemu.Notebook{compliantNotebook("fraud-carol-ok", "fraud", "carol")},
		limits: broker.Config{Now: now}})
	carol := abac.Identity{Subject: "dev-carol", Username: "carol", Groups: []string{"ds-fraud"}}
	for range 3 {
		if _, err := r.b.Open(context.Background(), carol, broker.OpenRequest{Notebook: "fraud-carol-ok", RequestMeta: meta}); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.emu.Calls("DescribeNotebookInstance"); n != 1 {
		t.Errorf("3 opens within a minute described the notebook %d times, want 1", n)
	}
	mu.Lock()
	clock = clock.Add(61 * time.Second)
	mu.Unlock()
	if _, err := r.b.Open(context.Background(), carol, broker.OpenRequest{Notebook: "fraud-carol-ok", RequestMeta: meta}); err != nil {
		t.Fatal(err)
	}
	if n := r.emu.Calls("DescribeNotebookInstance"); n != 2 {
		t.Errorf("an open a minute later described the notebook %d times in all, want 2", n)
	}
}

// A list says, for each notebook, whether it meets its team's requirements
// and which it misses.
func TestListShowsCompliance(t *testing.T) {
	bad := compliantNotebook("fraud-carol-public", "fraud", "carol")
	bad.DirectInternetAccess = "Enabled"
	r := newRigOpts(t, postureTeams(t), rigOptions{notebooks: []awsemu.Notebook{compliantNotebook("fraud-carol-ok", "fraud", "carol"), bad}})
	carol := abac.Identity{Subject: "dev-carol", Username: "carol", Groups: []string{"ds-fraud"}}
	ov, err := r.b.List(context.Background(), carol, meta)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*broker.Compliance{}
	for _, nb := range ov.Notebooks {
		got[nb.Name] = nb.Compliance
	}
	if c := got["fraud-carol-ok"]; c == nil || !c.Compliant || c.Mode != "enforce" {
		t.Errorf("compliant notebook: %+v", c)
	}
	if c := got["fraud-carol-public"]; c == nil || c.Compliant || len(c.Unmet) != 1 || c.Unmet[0].Requirement != "direct_internet_access" {
		t.Errorf("notebook with internet access: %+v", c)
	}
	// A mapping without requirements: no compliance, no describe.
	r = newRig(t, testutil.WithoutRequire(configs.DevTeams))
	before := r.emu.Calls("DescribeNotebookInstance")
	ov, err = r.b.List(context.Background(), alice, meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, nb := range ov.Notebooks {
		if nb.Compliance != nil {
			t.Errorf("%s has compliance %+v without requirements", nb.Name, nb.Compliance)
		}
	}
	if n := r.emu.Calls("DescribeNotebookInstance") - before; n != 0 {
		t.Errorf("a list without requirements described %d notebooks", n)
	}
}

// The estate lists every notebook tagged for each team, whoever owns it,
// with its compliance against that team's requirements, as the admin.
func TestEstate(t *testing.T) {
	bad := compliantNotebook("fraud-carol-public", "fraud", "carol")
	bad.DirectInternetAccess, bad.RootAccess = "Enabled", "Enabled"
	r := newRigOpts(t, postureTeams(t), rigOptions{notebooks: []awsemu.Notebook{compliantNotebook("fraud-carol-ok", "fraud", "carol"), bad}})
	admin := abac.Identity{Subject: "dev-admin", Username: "admin", Groups: []string{"secds-admins"}}
	m, err := abac.Parse("teams.yaml", postureTeams(t))
	if err != nil {
		t.Fatal(err)
	}
	est, name, err := r.b.Estate(context.Background(), admin, m)
	if err != nil {
		t.Fatal(err)
	}
	if name != "admin" || len(est.Problems) != 0 {
		t.Fatalf("estate as %q, problems %v", name, est.Problems)
	}
	got := map[string]broker.EstateNotebook{}
	for _, nb := range est.Notebooks {
		got[nb.Name] = nb
	}
	// Every notebook tagged team=fraud, alice's and dave's included: the
	// dev seed's have no KMS key, subnet or the rest.
	for _, name := range []string{"fraud-alice", "fraud-dave", "fraud-carol-ok", "fraud-carol-public", "marketing-bob", "platform-admin"} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s is missing from the estate: %+v", name, est.Notebooks)
		}
	}
	if _, ok := got["untagged-legacy"]; ok {
		t.Error("an untagged notebook is in the estate")
	}
	if c := got["fraud-carol-ok"].Compliance; c == nil || !c.Compliant {
		t.Errorf("fraud-carol-ok: %+v", c)
	}
	if c := got["fraud-carol-public"].Compliance; c == nil || c.Compliant || len(c.Unmet) != 2 || c.Mode != "enforce" {
		t.Errorf("fraud-carol-public: %+v", c)
	}
	if c := got["marketing-bob"].Compliance; c == nil || c.Compliant || c.Mode != "warn" {
		t.Errorf("marketing-bob (warn): %+v", c)
	}
	// Under a mapping without requirements the same estate has no
	// compliance to show.
	dev, _ := abac.Parse("teams.yaml", testutil.WithoutRequire(configs.DevTeams))
	if est, _, err = r.b.Estate(context.Background(), admin, dev); err != nil {
		t.Fatal(err)
	}
	for _, nb := range est.Notebooks {
		if nb.Compliance != nil {
			t.Errorf("%s has compliance without requirements", nb.Name)
		}
	}
}

// A Studio domain is held against the team's studio requirements: the dev
// domain lets its apps reach the internet and has no KMS key, so enforce
// refuses with both in plain words and warn opens, both audited.
func TestStudioPosture(t *testing.T) {
	for _, mode := range []string{"enforce", "warn"} {
		t.Run(mode, func(t *testing.T) {
			mapping := bytes.Replace(testutil.WithoutRequire(configs.DevTeams), []byte("      cost-center: cc-2077\n"),
				[]byte("      cost-center: cc-2077\n    require: {mode: "+mode+", studio: {app_network_access: VpcOnly, kms_key: required}}\n"), 1)
			if !bytes.Contains(mapping, []byte("studio: {app_network_access")) {
				t.Fatal("the dev mapping changed")
			}
			r := newRigOpts(t, mapping, rigOptions{})
			res, err := openStudio(t, r.b, bob, "", "")
			ev := r.audit.last()
			if mode == "enforce" {
				e := api.As(err)
				if e.Code != api.CodeNotebookNoncompliant || !strings.Contains(e.Message, "AppNetworkAccessType=PublicInternetOnly") || !strings.Contains(e.Message, "customer-managed KMS key") {
					t.Fatalf("enforce: %v", err)
				}
				if ev.Decision != audit.Denied || ev.Reason != "posture" || len(ev.Unmet) != 2 {
					t.Errorf("enforce event = %+v", ev)
				}
				if n := r.emu.Calls("CreatePresignedDomainUrl"); n != 0 {
					t.Errorf("%d presigns for a refused domain", n)
				}
				return
			}
			if err != nil || res.URL == "" {
				t.Fatalf("warn: %v", err)
			}
			if ev.Decision != audit.Granted || ev.Code != "posture_warning" || len(ev.Unmet) != 2 || ev.PostureMode != "warn" {
				t.Errorf("warn event = %+v", ev)
			}
		})
	}
}

// A list shows a Studio domain's compliance: in warn mode beside the
// target, in enforce mode as the problem an open would meet.
func TestStudioListShowsCompliance(t *testing.T) {
	for _, mode := range []string{"enforce", "warn"} {
		mapping := bytes.Replace(testutil.WithoutRequire(configs.DevTeams), []byte("      cost-center: cc-2077\n"),
			[]byte("      cost-center: cc-2077\n    require: {mode: "+mode+", studio: {app_network_access: VpcOnly}}\n"), 1)
		r := newRigOpts(t, mapping, rigOptions{})
		ov, err := r.b.List(context.Background(), bob, meta)
		if err != nil || len(ov.Studios) != 1 {
			t.Fatalf("%s: %+v %v", mode, ov.Studios, err)
		}
		st := ov.Studios[0]
		if c := st.Compliance; c == nil || c.Compliant || c.Mode != mode || len(c.Unmet) != 1 || c.Unmet[0].Requirement != "studio.app_network_access" {
			t.Errorf("%s: compliance %+v", mode, st.Compliance)
		}
		if (mode == "enforce") != (st.Problem != nil && st.Problem.Code == api.CodeNotebookNoncompliant) {
			t.Errorf("%s: problem %+v", mode, st.Problem)
		}
	}
}

// The estate lists each team's Studio domain with its compliance.
func TestEstateStudios(t *testing.T) {
	mapping := bytes.Replace(testutil.WithoutRequire(configs.DevTeams), []byte("      cost-center: cc-2077\n"),
		[]byte("      cost-center: cc-2077\n    require: {studio: {app_network_access: VpcOnly}}\n"), 1)
	r := newRigOpts(t, mapping, rigOptions{})
	m, err := abac.Parse("teams.yaml", mapping)
	if err != nil {
		t.Fatal(err)
	}
	admin := abac.Identity{Subject: "dev-admin", Username: "admin", Groups: []string{"secds-admins"}}
	est, _, err := r.b.Estate(context.Background(), admin, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(est.Studios) != 2 {
		t.Fatalf("studios = %+v, want marketing's and platform's", est.Studios)
	}
	mk, pl := est.Studios[0], est.Studios[1]
	if mk.Team != "marketing" || mk.Problem != "" || mk.Compliance == nil || mk.Compliance.Compliant || mk.Compliance.Unmet[0].Requirement != "studio.app_network_access" {
		t.Errorf("marketing's Studio = %+v", mk)
	}
	if pl.Team != "platform" || pl.Problem != "" || pl.Compliance != nil {
		t.Errorf("platform's Studio (no requirements) = %+v", pl)
	}
}
