package broker_test

import (
	"context"
	"strings"
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/broker/awsname"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/dev/awsemu"
)

// TestAwkwardUsernamesCannotOpenATeammatesNotebook: these usernames used to
// become alice's "alice" (or one shared "alice_") for the owner selector,
// the user tag and SourceIdentity, and so opened fraud-alice. Now they are
// refused with a reason, before anything is asked of AWS.
func TestAwkwardUsernamesCannotOpenATeammatesNotebook(t *testing.T) {
	for _, username := range []string{"alice ", "\u00a0alice\t", " alice", "alice!", "alice?", "alice\u200b"} {
		t.Run(username, func(t *testing.T) {
			r := newRig(t, configs.DevTeams)
			id := abac.Identity{Subject: "someone-else", Username: username, Groups: []string{"ds-fraud"}}
			res, err := r.b.Open(context.Background(), id, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
			e := api.As(err)
			if res.URL != "" || e.Code != "identity_unusable" || e.Kind != api.KindForbidden {
				t.Fatalf("open as %q: res %+v err %v, want identity_unusable", username, res, err)
			}
			for _, want := range []string{"cannot be used with AWS as it is", "Ask the platform team"} {
				if !strings.Contains(e.Message, want) {
					t.Errorf("message %q does not say %q", e.Message, want)
				}
			}
			if n := r.emu.Calls("AssumeRole"); n != 0 {
				t.Errorf("AssumeRole called %d times for a refused username", n)
			}
			if ev := r.audit.last(); ev.Decision != audit.Denied || ev.Code != "identity_unusable" || ev.Username != username {
				t.Errorf("audit = %+v", ev)
			}
			if _, err := r.b.List(context.Background(), id, meta); api.As(err).Code != "identity_unusable" {
				t.Errorf("list as %q: %v", username, err)
			}
		})
	}
}

// TestUnicodeNamesGetAnAWSNameOfTheirOwn: 李雷 and 王芳 both used to be
// "--" in CloudTrail. Their user tag is their username as it is (AWS allows
// letters of any script), their SourceIdentity a derived name of their own.
func TestUnicodeNamesGetAnAWSNameOfTheirOwn(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	names := map[string]string{}
	for i, username := range []string{"李雷", "王芳"} {
		id := abac.Identity{Subject: "sub-" + username, Username: username, Groups: []string{"ds-fraud"}}
		if _, err := r.b.List(context.Background(), id, meta); err != nil {
			t.Fatalf("%s: %v", username, err)
		}
		sess, ok := r.emu.Session(r.sts.keys[i])
		if !ok {
			t.Fatal("the emulator does not know the session")
		}
		want, _ := awsname.PrincipalName("", id.Subject, username)
		if sess.SourceIdentity != want || sess.SessionName != want || !strings.Contains(want, "=") {
			t.Errorf("%s: SourceIdentity %q, RoleSessionName %q, want derived %q", username, sess.SourceIdentity, sess.SessionName, want)
		}
		if v := tag(sess.Tags, "user"); v != username {
			t.Errorf("%s: user tag %q, want the username as it is", username, v)
		}
		if other, dup := names[sess.SourceIdentity]; dup {
			t.Errorf("%s and %s share SourceIdentity %q", username, other, sess.SourceIdentity)
		}
		names[sess.SourceIdentity] = username
	}
}

func tag(tags []awsemu.Tag, key string) string {
	for _, t := range tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// TestNotYoursAndMissingLookAlike: another team's notebook and a notebook
// that does not exist get the same answer, so nobody can probe for names;
// the answer says what the person can open instead, and the audit trail
// keeps the truth.
func TestNotYoursAndMissingLookAlike(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	bob := abac.Identity{Subject: "dev-bob", Username: "bob", Groups: []string{"ds-marketing"}}
	open := func(name string) (*api.Error, audit.Event) {
		t.Helper()
		_, err := r.b.Open(context.Background(), bob, broker.OpenRequest{Notebook: name, RequestMeta: meta})
		if err == nil {
			t.Fatalf("bob opened %s", name)
		}
		return api.As(err), r.audit.last()
	}
	theirs, theirsEv := open("fraud-alice")
	missing, missingEv := open("no-such-notebook")
	if theirs.Kind != missing.Kind || theirs.Code != missing.Code || theirs.Code != "notebook_not_found" || theirs.Kind != api.KindNotFound {
		t.Errorf("another's notebook: %s/%v, a missing one: %s/%v; want both notebook_not_found", theirs.Code, theirs.Kind, missing.Code, missing.Kind)
	}
	if strings.ReplaceAll(theirs.Message, "fraud-alice", "X") != strings.ReplaceAll(missing.Message, "no-such-notebook", "X") {
		t.Errorf("the messages differ:\n%s\n%s", theirs.Message, missing.Message)
	}
	if !strings.Contains(theirs.Message, "You can open marketing-bob (team marketing)") {
		t.Errorf("message %q does not say what bob can open instead", theirs.Message)
	}
	if theirsEv.Code != "notebook_not_allowed" || missingEv.Code != "notebook_not_found" || theirsEv.Decision != audit.Denied || missingEv.Decision != audit.Denied {
		t.Errorf("audit: %s/%s and %s/%s, want the true reasons", theirsEv.Code, theirsEv.Decision, missingEv.Code, missingEv.Decision)
	}
	if !strings.Contains(theirsEv.Reason, "exists but is not tagged for this person") {
		t.Errorf("audit reason %q", theirsEv.Reason)
	}
}

// TestListForNamesTheAdmin: an admin's explain with notebooks makes its AWS
// calls in the admin's name (CloudTrail used to show bob, who never signed
// in) with bob's tags, and never shares a session with bob's own.
func TestListForNamesTheAdmin(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	ctx := context.Background()
	admin := abac.Identity{Subject: "dev-admin", Username: "admin", Groups: []string{"secds-admins"}}
	bob := abac.Identity{Subject: "dev-bob", Username: "bob", Groups: []string{"ds-marketing"}}
	ov, name, err := r.b.ListFor(ctx, admin, bob)
	if err != nil {
		t.Fatal(err)
	}
	if name != "admin" || len(ov.Notebooks) != 1 || ov.Notebooks[0].Name != "marketing-bob" {
		t.Fatalf("ListFor = %+v as %q", ov, name)
	}
	sess, _ := r.emu.Session(r.sts.keys[0])
	if sess.SourceIdentity != "admin" || sess.SessionName != "admin" || tag(sess.Tags, "user") != "bob" || tag(sess.Tags, "team") != "marketing" {
		t.Errorf("explain session = %+v, want SourceIdentity and RoleSessionName admin with bob's tags", sess)
	}
	if _, err := r.b.List(ctx, bob, meta); err != nil {
		t.Fatal(err)
	}
	if len(r.sts.keys) != 2 {
		t.Fatalf("bob reused the admin's explain session (%d AssumeRole calls)", len(r.sts.keys))
	}
	if own, _ := r.emu.Session(r.sts.keys[1]); own.SourceIdentity != "bob" {
		t.Errorf("bob's own session has SourceIdentity %q", own.SourceIdentity)
	}
}

const claimTagged = `version: 1
teams:
  - name: fraud
    match: [{groups: [ds-fraud]}]
    role_arn: arn:aws:iam::123456789012:role/secds-team-fraud
    session_tags: {department: "{{.Claims.department}}"}
    notebooks: {tags: {owner: "{{.Username}}"}}
`

// TestClaimAWSWouldChangeRefusesTheTeam: a claim the mapping puts in a tag is
// refused, with the tag and value named, rather than cut or changed.
func TestClaimAWSWouldChangeRefusesTheTeam(t *testing.T) {
	r := newRig(t, []byte(claimTagged))
	id := abac.Identity{Subject: "dev-alice", Username: "alice", Groups: []string{"ds-fraud"}, Claims: map[string]any{"department": "risk\t"}}
	_, err := r.b.Open(context.Background(), id, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	e := api.As(err)
	if e.Code != "identity_unusable" || !strings.Contains(e.Message, `team fraud`) || !strings.Contains(e.Message, `"department" would be "risk\t"`) {
		t.Fatalf("err = %v", err)
	}
	if n := r.emu.Calls("AssumeRole"); n != 0 {
		t.Errorf("AssumeRole called %d times", n)
	}
}
