package iampolicy_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/secds/secds/internal/iampolicy"
)

const notebooksARN = "arn:aws:sagemaker:*:123456789012:notebook-instance/*"

// inline is a one-team mapping with the given session tags and notebook
// selector, indented for the team entry.
func inline(sessionTags, notebooks string) []byte {
	return []byte(`version: 1
teams:
  - name: fraud
    match: [{groups: [ds-fraud]}]
    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud
` + sessionTags + notebooks)
}

// TestWholeGrant: presign and describe require every selector tag IAM can
// check, with the value the broker derives; what it cannot check is named.
func TestWholeGrant(t *testing.T) {
	tests := []struct {
		name       string
		mapping    []byte
		want       map[string]string // sagemaker:ResourceTag/<key> → value
		brokerOnly []string          // substrings of the BrokerOnly lines, in order
	}{
		{
			name:    "the dev mapping: team literal, owner through the user tag",
			mapping: inline("", "    notebooks: {tags: {owner: \"{{.Username}}\"}}\n"),
			want:    map[string]string{"team": "fraud", "owner": "${aws:PrincipalTag/user}"},
		},
		{
			name:    "owner spelled with spaces is still the username",
			mapping: inline("", "    notebooks: {tags: {owner: \"{{ .Username }}\"}}\n"),
			want:    map[string]string{"team": "fraud", "owner": "${aws:PrincipalTag/user}"},
		},
		{
			name:    "a literal selector value is written literally",
			mapping: inline("    session_tags: {env: prod}\n", "    notebooks: {tags: {env: prod, tier: gold}}\n"),
			want:    map[string]string{"team": "fraud", "env": "prod", "tier": "gold"},
		},
		{
			name:    "a claim tag with a session tag of the same template",
			mapping: inline("    session_tags: {project-tag: \"{{ .Claims.project }}\"}\n", "    notebooks: {tags: {project: \"{{.Claims.project}}\"}}\n"),
			want:    map[string]string{"team": "fraud", "project": "${aws:PrincipalTag/project-tag}"},
		},
		{
			name:       "a claim tag without a session tag is the broker's alone",
			mapping:    inline("", "    notebooks: {tags: {owner: \"{{.Username}}\", project: \"{{.Claims.project}}\"}}\n"),
			want:       map[string]string{"team": "fraud", "owner": "${aws:PrincipalTag/user}"},
			brokerOnly: []string{"notebook tag `project` = {{.Claims.project}}: IAM never sees this claim; only the broker checks it. Add a session tag with the same template to let IAM check it too."},
		},
		{
			name:       "a value built from the identity is the broker's alone",
			mapping:    inline("", "    notebooks: {tags: {owner: \"u-{{.Username}}\"}}\n"),
			want:       map[string]string{"team": "fraud"},
			brokerOnly: []string{"notebook tag `owner` = u-{{.Username}}: IAM never sees this value"},
		},
		{
			name:    "an explicit team tag is the implied one",
			mapping: inline("", "    notebooks: {tags: {team: fraud}}\n"),
			want:    map[string]string{"team": "fraud"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := generate(t, parseMapping(t, "t.yaml", tc.mapping), "", iampolicy.Options{})
			perms := p.Teams[0].Perms
			for _, sid := range []string{"PresignTeamNotebooks", "DescribeTeamNotebooks"} {
				s := perms.sid(t, sid)
				if len(s.Condition) != 1 || len(s.Condition["StringEquals"]) != len(tc.want) {
					t.Errorf("%s conditions = %v, want StringEquals on exactly %v", sid, s.Condition, tc.want)
				}
				for k, v := range tc.want {
					if got := s.Condition["StringEquals"]["sagemaker:ResourceTag/"+k]; !equalAny(got, v) {
						t.Errorf("%s: sagemaker:ResourceTag/%s = %v, want %q", sid, k, got, v)
					}
				}
				if !slices.Equal(s.Resource, []string{notebooksARN}) {
					t.Errorf("%s resource = %v", sid, s.Resource)
				}
			}
			// One explicit deny per checked tag, each on its own, and one
			// per principal tag compared with, for sessions without it.
			denies, nullDenies := 0, 0
			for _, s := range perms.Statement {
				if s.Effect != "Deny" {
					continue
				}
				if nulls := s.Condition["Null"]; len(s.Condition) == 1 && len(nulls) == 1 {
					for key, v := range nulls {
						pk := strings.TrimPrefix(key, "aws:PrincipalTag/")
						if v != "true" || !slices.ContainsFunc(slices.Collect(maps.Values(tc.want)), func(w string) bool { return w == "${aws:PrincipalTag/"+pk+"}" }) {
							t.Errorf("deny %s: Null %s = %v, want true for a principal tag a selector uses", s.Sid, key, v)
						}
					}
					nullDenies++
					continue
				}
				denies++
				if len(s.Condition) != 1 || len(s.Condition["StringNotEquals"]) != 1 {
					t.Errorf("deny %s = %v, want one StringNotEquals key", s.Sid, s.Condition)
				}
				for key, v := range s.Condition["StringNotEquals"] {
					k := strings.TrimPrefix(key, "sagemaker:ResourceTag/")
					if want, ok := tc.want[k]; !ok || !equalAny(v, want) {
						t.Errorf("deny %s: %s = %v, want %q", s.Sid, key, v, want)
					}
				}
				if got := strings.Join(s.Action, ","); got != "sagemaker:DescribeNotebookInstance,sagemaker:CreatePresignedNotebookInstanceUrl" {
					t.Errorf("deny %s actions = %s", s.Sid, got)
				}
				if !slices.Equal(s.Resource, []string{notebooksARN}) {
					t.Errorf("deny %s resource = %v", s.Sid, s.Resource)
				}
			}
			if denies != len(tc.want) {
				t.Errorf("%d denies, want one per tag %v: %v", denies, tc.want, perms.sids())
			}
			variables := map[string]bool{}
			for _, v := range tc.want {
				if strings.HasPrefix(v, "${aws:PrincipalTag/") {
					variables[v] = true
				}
			}
			if nullDenies != len(variables) {
				t.Errorf("%d Null denies, want one per principal tag compared with %v: %v", nullDenies, tc.want, perms.sids())
			}
			if len(p.Teams[0].BrokerOnly) != len(tc.brokerOnly) {
				t.Fatalf("broker only = %q, want %q", p.Teams[0].BrokerOnly, tc.brokerOnly)
			}
			for i, want := range tc.brokerOnly {
				if !strings.Contains(p.Teams[0].BrokerOnly[i], want) {
					t.Errorf("broker only[%d] = %q, want %q", i, p.Teams[0].BrokerOnly[i], want)
				}
			}
		})
	}
}

// TestTeamNamedLiterally: no policy variable stands for the team any more;
// the dev and example mappings' teams are each written into their own policy.
func TestTeamNamedLiterally(t *testing.T) {
	for _, m := range []struct {
		name string
		p    policies
	}{{"dev", generate(t, devMapping(t), "", iampolicy.Options{})}, {"example", generate(t, exampleMapping(t), "", iampolicy.Options{})}} {
		for _, tp := range m.p.Teams {
			t.Run(m.name+"/"+tp.Team, func(t *testing.T) {
				s := tp.Perms.sid(t, "PresignTeamNotebooks")
				if !equalAny(s.Condition["StringEquals"]["sagemaker:ResourceTag/team"], tp.Team) {
					t.Errorf("presign team = %v, want %q", s.Condition["StringEquals"]["sagemaker:ResourceTag/team"], tp.Team)
				}
				if !equalAny(s.Condition["StringEquals"]["sagemaker:ResourceTag/owner"], "${aws:PrincipalTag/user}") {
					t.Errorf("presign owner = %v", s.Condition["StringEquals"]["sagemaker:ResourceTag/owner"])
				}
				if d := tp.Perms.sid(t, "DenyOtherTeamsNotebooks"); !equalAny(d.Condition["StringNotEquals"]["sagemaker:ResourceTag/team"], tp.Team) {
					t.Errorf("deny = %+v", d)
				}
				tp.Perms.sid(t, "DenyUnlessOwnerTag")
				if len(tp.BrokerOnly) != 0 {
					t.Errorf("broker only = %q, want none", tp.BrokerOnly)
				}
			})
		}
	}
}

// TestNotebookNames: literal names narrow the resource to those notebooks'
// ARNs, which SageMaker writes in lower case; a templated name cannot be
// written into IAM and is named as the broker's alone.
func TestNotebookNames(t *testing.T) {
	t.Run("literal", func(t *testing.T) {
		p := generate(t, parseMapping(t, "t.yaml", inline("", "    notebooks: {names: [fraud-shared, Fraud-Big]}\n")), "", iampolicy.Options{})
		perms := p.Teams[0].Perms
		want := []string{
			"arn:aws:sagemaker:*:123456789012:notebook-instance/fraud-shared",
			"arn:aws:sagemaker:*:123456789012:notebook-instance/fraud-big",
			"arn:aws:sagemaker:*:123456789012:notebook-instance/Fraud-Big",
		}
		for _, sid := range []string{"PresignTeamNotebooks", "DescribeTeamNotebooks"} {
			if got := perms.sid(t, sid).Resource; !slices.Equal(got, want) {
				t.Errorf("%s resource = %v, want %v", sid, got, want)
			}
		}
		d := perms.sid(t, "DenyOtherNotebookNames")
		if d.Effect != "Deny" || len(d.Resource) != 0 || !slices.Equal(d.NotResource, want) || len(d.Condition) != 0 {
			t.Errorf("names deny = %+v", d)
		}
		if got := perms.sid(t, "ReadNotebookTags").Resource; !slices.Equal(got, []string{notebooksARN}) {
			t.Errorf("ListTags must still reach every notebook of the account: %v", got)
		}
		if len(p.Teams[0].BrokerOnly) != 0 {
			t.Errorf("broker only = %q", p.Teams[0].BrokerOnly)
		}
	})
	t.Run("templated", func(t *testing.T) {
		p := generate(t, parseMapping(t, "t.yaml", inline("", "    notebooks: {names: [fraud-shared, \"fraud-{{.Username}}\"]}\n")), "", iampolicy.Options{})
		perms := p.Teams[0].Perms
		if got := perms.sid(t, "PresignTeamNotebooks").Resource; !slices.Equal(got, []string{notebooksARN}) {
			t.Errorf("presign resource = %v, want every notebook of the account (the tags still hold)", got)
		}
		if perms.has("DenyOtherNotebookNames") {
			t.Error("a names deny with a templated name would refuse what the broker grants")
		}
		if len(p.Teams[0].BrokerOnly) != 1 || !strings.Contains(p.Teams[0].BrokerOnly[0], "notebook names fraud-shared, fraud-{{.Username}}") ||
			!strings.Contains(p.Teams[0].BrokerOnly[0], "only the broker checks the names") {
			t.Errorf("broker only = %q", p.Teams[0].BrokerOnly)
		}
	})
}

// TestLeastPrivilege: only what the broker calls with a team session, each
// on the resource type it supports; Studio actions only for a team with a
// studio setting, starting only for the team that starts stopped notebooks
// (the example's fraud).
func TestLeastPrivilege(t *testing.T) {
	notebookActions := []string{"sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:DescribeNotebookInstance", "sagemaker:ListNotebookInstances", "sagemaker:ListTags"}
	for _, tc := range []struct {
		team string
		want []string
	}{
		{"fraud", append(slices.Clone(notebookActions), "sagemaker:StartNotebookInstance")},
		{"marketing", []string{"sagemaker:CreatePresignedDomainUrl", "sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:DescribeDomain", "sagemaker:DescribeNotebookInstance",
			"sagemaker:ListNotebookInstances", "sagemaker:ListSpaces", "sagemaker:ListTags", "sagemaker:ListUserProfiles"}}, // marketing has studio settings
	} {
		t.Run(tc.team, func(t *testing.T) {
			p := generate(t, exampleMapping(t), tc.team, iampolicy.Options{})
			perms := p.Teams[0].Perms
			if got := perms.actions("Allow"); !slices.Equal(got, tc.want) {
				t.Errorf("allowed actions = %v, want exactly %v", got, tc.want)
			}
			account := strings.Split(p.Teams[0].RoleARN, ":")[4]
			list := perms.sid(t, "ListNotebooks")
			if !slices.Equal(list.Action, []string{"sagemaker:ListNotebookInstances"}) || !slices.Equal(list.Resource, []string{"*"}) || list.Condition != nil {
				t.Errorf("list = %+v, want ListNotebookInstances on * (it has no resource type)", list)
			}
			tags := perms.sid(t, "ReadNotebookTags")
			if !slices.Equal(tags.Action, []string{"sagemaker:ListTags"}) || !slices.Equal(tags.Resource, []string{"arn:aws:sagemaker:*:" + account + ":notebook-instance/*"}) || tags.Condition != nil {
				t.Errorf("list tags = %+v, want ListTags on the role account's notebook instances, untagged", tags)
			}
			for _, s := range perms.Statement {
				for _, a := range s.Action {
					if strings.Contains(a, "*") || strings.Contains(a, "CreateUserProfile") || strings.Contains(a, "AddTags") {
						t.Errorf("%s grants %s", s.Sid, a)
					}
				}
			}
		})
	}
	p := generate(t, exampleMapping(t), "", iampolicy.Options{})
	if !slices.ContainsFunc(p.Notes, func(n string) bool {
		return strings.HasPrefix(n, iampolicy.NoteStudio) && strings.Contains(n, "marketing")
	}) {
		t.Errorf("notes = %q, want the Studio note naming marketing", p.Notes)
	}
}

// TestStudioPermissions: the team presigns only user profiles tagged with
// its name and the person, in its domain; it creates a profile only when the
// mapping allows it, and only with the team and owner tags.
func TestStudioPermissions(t *testing.T) {
	m := parseMapping(t, "t.yaml", []byte(`version: 1
teams:
  - name: research
    match: [{groups: [ds-research]}]
    role_arn: arn:aws:iam::123456789012:role/secds-research
    notebooks: {tags: {owner: "{{.Username}}"}}
    studio:
      domain_id: d-abcdefghijkl
      user_profile: "{{.Username}}"
      create_user_profile: true
  - name: ops
    match: [{groups: [ds-ops]}]
    role_arn: arn:aws:iam::123456789012:role/secds-ops
    studio:
      domain_id: d-abcdefghijkl
      user_profile: "ops-{{.Username}}"
`))
	p := generate(t, m, "research", iampolicy.Options{})
	perms := p.Teams[0].Perms
	presign := perms.sid(t, "PresignOwnStudioProfile")
	if !slices.Equal(presign.Resource, []string{"arn:aws:sagemaker:*:123456789012:user-profile/d-abcdefghijkl/${aws:PrincipalTag/user}"}) {
		t.Errorf("presign resource = %v, want the person's own profile in the team's domain", presign.Resource)
	}
	if got := presign.Condition["StringEquals"]; got["sagemaker:ResourceTag/team"] != "research" || got["sagemaker:ResourceTag/owner"] != "${aws:PrincipalTag/user}" {
		t.Errorf("presign conditions = %v, want team and owner tags", presign.Condition)
	}
	create := perms.sid(t, "CreateOwnStudioProfile")
	if !slices.Equal(create.Action, []string{"sagemaker:CreateUserProfile", "sagemaker:AddTags"}) ||
		create.Condition["StringEquals"]["aws:RequestTag/team"] != "research" || create.Condition["StringEquals"]["aws:RequestTag/owner"] != "${aws:PrincipalTag/user}" {
		t.Errorf("create = %+v, want CreateUserProfile forced to the team and owner tags", create)
	}
	for _, sid := range []string{"DenyOtherTeamsStudioProfiles", "DenyOthersStudioProfiles", "DenyStudioWithoutUserSessionTag", "DescribeStudioDomain", "ReadStudioTags"} {
		perms.sid(t, sid)
	}

	ops := generate(t, m, "ops", iampolicy.Options{}).Teams[0].Perms
	if ops.has("CreateOwnStudioProfile") {
		t.Error("ops may not create profiles, yet its policy allows it")
	}
	if got := ops.sid(t, "PresignOwnStudioProfile").Resource; !slices.Equal(got, []string{"arn:aws:sagemaker:*:123456789012:user-profile/d-abcdefghijkl/*"}) {
		t.Errorf("ops presign resource = %v, want the domain's profiles (the name is not the username)", got)
	}
	if slices.Contains(ops.actions("Allow"), "sagemaker:ListNotebookInstances") == false {
		t.Error("ops lost its notebook permissions")
	}
}

func TestPartitionAndRolePath(t *testing.T) {
	m := parseMapping(t, "t.yaml", []byte(`version: 1
teams:
  - name: research
    match: [{groups: [ds-research]}]
    role_arn: arn:aws-us-gov:iam::123456789012:role/teams/secds-research
    notebooks: {tags: {owner: "{{.Username}}"}}
`))
	p := generate(t, m, "", iampolicy.Options{})
	if p.Teams[0].RoleName != "secds-research" {
		t.Errorf("role name = %q, want the name without its path", p.Teams[0].RoleName)
	}
	if got := p.Teams[0].Perms.sid(t, "PresignTeamNotebooks").Resource; !slices.Equal(got, []string{"arn:aws-us-gov:sagemaker:*:123456789012:notebook-instance/*"}) {
		t.Errorf("resource = %v, want the role's partition and account", got)
	}
}

func TestAllTeamsInMappingOrder(t *testing.T) {
	p := generate(t, devMapping(t), "", iampolicy.Options{})
	var names []string
	for _, tp := range p.Teams {
		names = append(names, tp.Team+"="+tp.RoleName)
	}
	if got := strings.Join(names, ","); got != "fraud=secds-team-fraud,marketing=secds-team-marketing,platform=secds-team-platform" {
		t.Errorf("teams = %s", got)
	}
	if !slices.Contains(p.Notes, iampolicy.NoteMembership) {
		t.Errorf("notes = %q, want the membership note once", p.Notes)
	}
}
