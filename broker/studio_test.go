package broker_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/internal/testutil"
)

const devDomain = "d-secdsdev0001"

var (
	bob   = abac.Identity{Subject: "dev-bob", Username: "bob", Email: "bob@example.com", Groups: []string{"ds-marketing"}}
	admin = abac.Identity{Subject: "dev-admin", Username: "admin", Email: "admin@example.com", Groups: []string{"secds-admins"}}
)

func openStudio(t *testing.T, b *broker.Broker, id abac.Identity, team, space string) (broker.OpenResult, error) {
	t.Helper()
	return b.OpenStudio(context.Background(), id, broker.StudioRequest{Team: team, Space: space, RequestMeta: meta})
}

func wantCode(t *testing.T, err error, code api.Code) *api.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	e := api.As(err)
	if e.Code != code {
		t.Fatalf("error = %v (%s), want %s", err, e.Code, code)
	}
	return e
}

func TestOpenStudioReachesTheStandInStudio(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	res, err := openStudio(t, r.b, bob, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Team != "marketing" || res.Studio == nil || *res.Studio != (broker.StudioOpened{DomainID: devDomain, UserProfile: "bob"}) {
		t.Errorf("result = %+v %+v", res, res.Studio)
	}
	if d := time.Until(res.ExpiresAt); d < 50*time.Second || d > broker.StudioURLLifetime {
		t.Errorf("expires in %v, want the short Studio lifetime", d)
	}
	resp, err := http.Get(res.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`<span id="user-profile">bob</span>`, `<span id="source-identity">bob</span>`, `<span id="landing-uri">app:JupyterLab:</span>`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("Studio page lacks %s:\n%s", want, body)
		}
	}
	ev := r.audit.last()
	if ev.Type != audit.TypeOpen || ev.Decision != audit.Granted || ev.Team != "marketing" || ev.Studio != devDomain+"/bob" || ev.SourceIdentity != "bob" ||
		ev.Role != "arn:aws:iam::123456789012:role/secds-team-marketing" {
		t.Errorf("audit = %+v", ev)
	}
	line, _ := json.Marshal(ev)
	if strings.Contains(string(line), "token") || strings.Contains(string(line), "http") {
		t.Errorf("the audit event carries the URL: %s", line)
	}
}

func TestOpenStudioSpaces(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	for _, space := range []string{"marketing-shared", "bob-private"} {
		res, err := openStudio(t, r.b, bob, "marketing", space)
		if err != nil {
			t.Fatalf("%s: %v", space, err)
		}
		if res.Studio.Space != space {
			t.Errorf("opened %+v, want space %s", res.Studio, space)
		}
		if ev := r.audit.last(); ev.Studio != devDomain+"/bob/"+space {
			t.Errorf("audit studio = %q", ev.Studio)
		}
	}
	// Another team's space and a space that does not exist are refused
	// alike; the audit trail tells them apart.
	presigns := r.emu.Calls("CreatePresignedDomainUrl")
	for _, tc := range []struct{ space, audit string }{
		{"platform-shared", "studio_space_not_allowed"},
		{"no-such-space", "studio_space_not_found"},
	} {
		_, err := openStudio(t, r.b, bob, "", tc.space)
		e := wantCode(t, err, api.CodeStudioSpaceNotFound)
		if e.Kind.Status() != http.StatusNotFound || !strings.Contains(e.Message, "Yours: bob-private, marketing-shared.") {
			t.Errorf("%s: %d %s", tc.space, e.Kind.Status(), e.Message)
		}
		if ev := r.audit.last(); ev.Decision != audit.Denied || ev.Code != tc.audit {
			t.Errorf("%s: audit = %+v", tc.space, ev)
		}
	}
	if n := r.emu.Calls("CreatePresignedDomainUrl"); n != presigns {
		t.Errorf("the broker asked AWS to presign a refused space (%d calls)", n-presigns)
	}
	_, err := openStudio(t, r.b, bob, "", "bad name")
	wantCode(t, err, api.CodeBadStudioName)
}

func TestOpenStudioRefusesAnotherTeam(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	_, err := openStudio(t, r.b, bob, "platform", "")
	wantCode(t, err, api.CodeTeamNotAllowed)
	_, err = openStudio(t, r.b, alice, "", "")
	e := wantCode(t, err, api.CodeNoStudio)
	if !strings.Contains(e.Message, "fraud") || !strings.Contains(e.Message, "the data platform team") {
		t.Errorf("message = %s", e.Message)
	}
	if ev := r.audit.last(); ev.Decision != audit.Denied || ev.Code != string(api.CodeNoStudio) {
		t.Errorf("audit = %+v", ev)
	}
}

// A mapping that renders another team's profile for a person: the broker
// refuses it by its tags, and when a wrong broker asks anyway, IAM does.
func TestOpenStudioProfileOfAnotherTeam(t *testing.T) {
	wrong := strings.Replace(string(configs.DevTeams), "      user_profile: \"{{.Username}}\"\n      create_user_profile: true", "      user_profile: bob", 1)
	if wrong == string(configs.DevTeams) {
		t.Fatal("the dev mapping changed: platform's studio setting not found")
	}
	r := newRig(t, []byte(wrong))
	_, err := openStudio(t, r.b, admin, "", "")
	e := wantCode(t, err, api.CodeStudioProfileNotYours)
	if e.Kind.Status() != http.StatusForbidden || !strings.Contains(e.Message, "team=platform and owner=admin") {
		t.Errorf("refusal = %d %s", e.Kind.Status(), e.Message)
	}
	if ev := r.audit.last(); ev.Decision != audit.Denied || ev.Code != string(api.CodeStudioProfileNotYours) {
		t.Errorf("audit = %+v", ev)
	}

	// The second wall: a broker that presigns another profile than the one
	// it checked.
	r = newRig(t, configs.DevTeams)
	b := r.brokerWithStudio(otherProfile{studioOf(r), "bob"})
	_, err = openStudio(t, b, admin, "", "")
	wantCode(t, err, api.CodeAWSDenied)
	if ev := r.audit.last(); ev.Decision != audit.Denied || ev.Code != string(api.CodeAWSDenied) {
		t.Errorf("audit = %+v", ev)
	}
}

func TestOpenStudioRefusesADomainNotInIAMMode(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	if err := r.emu.SetDomainAuthMode(devDomain, "SSO"); err != nil {
		t.Fatal(err)
	}
	_, err := openStudio(t, r.b, bob, "", "")
	e := wantCode(t, err, api.CodeStudioNotIAM)
	for _, want := range []string{"IAM Identity Center", "IAM authentication mode", "studio.domain_id of team marketing", devDomain} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message lacks %q: %s", want, e.Message)
		}
	}
	if e.Kind.Status() != http.StatusConflict {
		t.Errorf("status = %d", e.Kind.Status())
	}
	if ev := r.audit.last(); ev.Decision != audit.Failed || ev.Code != string(api.CodeStudioNotIAM) {
		t.Errorf("audit = %+v", ev)
	}
	ov, err := r.b.List(context.Background(), bob, meta)
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Studios) != 1 || ov.Studios[0].Problem == nil || ov.Studios[0].Problem.Code != api.CodeStudioNotIAM || len(ov.Notebooks) != 1 {
		t.Errorf("list = %+v", ov)
	}
}

func TestOpenStudioCreatesAMissingProfileWhenAllowed(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	carol := abac.Identity{Subject: "dev-carol", Username: "carol", Groups: []string{"secds-admins"}}
	for range 2 {
		res, err := openStudio(t, r.b, carol, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if res.Studio.UserProfile != "carol" {
			t.Errorf("opened %+v", res.Studio)
		}
	}
	tags, ok := r.emu.UserProfileTags(devDomain, "carol")
	if !ok || tags["team"] != "platform" || tags["owner"] != "carol" || len(tags) != 2 {
		t.Errorf("carol's profile: %v (exists %v)", tags, ok)
	}
	if n := r.emu.Calls("CreateUserProfile"); n != 1 {
		t.Errorf("%d CreateUserProfile calls, want 1", n)
	}

	// marketing does not allow it: the refusal says whom to ask.
	erin := abac.Identity{Subject: "dev-erin", Username: "erin", Groups: []string{"ds-marketing"}}
	_, err := openStudio(t, r.b, erin, "", "")
	e := wantCode(t, err, api.CodeNoStudioProfile)
	if !strings.Contains(e.Message, "ask the data platform team (#ds-platform) to create it, tagged team=marketing and owner=erin") {
		t.Errorf("message = %s", e.Message)
	}
	if _, ok := r.emu.UserProfileTags(devDomain, "erin"); ok {
		t.Error("a profile was created for a team that does not allow it")
	}
}

func TestListShowsStudioBesideNotebooks(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	ov, err := r.b.List(context.Background(), bob, meta)
	if err != nil {
		t.Fatal(err)
	}
	want := broker.Studio{Team: "marketing", DomainID: devDomain, UserProfile: "bob", Spaces: []string{"bob-private", "marketing-shared"}}
	if len(ov.Studios) != 1 || ov.Studios[0].Problem != nil || strings.Join(ov.Studios[0].Spaces, ",") != strings.Join(want.Spaces, ",") ||
		ov.Studios[0].UserProfile != "bob" || len(ov.Notebooks) != 1 || ov.Notebooks[0].Name != "marketing-bob" {
		t.Errorf("list = %+v", ov)
	}
	ov, err = r.b.List(context.Background(), alice, meta)
	if err != nil || len(ov.Studios) != 0 {
		t.Errorf("alice's list = %+v, %v", ov, err)
	}
}

// otherProfile presigns another user profile than the broker asked for.
type otherProfile struct {
	broker.StudioAPI
	profile string
}

func (w otherProfile) CreatePresignedDomainUrl(ctx context.Context, in *sagemaker.CreatePresignedDomainUrlInput, opts ...func(*sagemaker.Options)) (*sagemaker.CreatePresignedDomainUrlOutput, error) {
	changed := *in
	changed.UserProfileName = aws.String(w.profile)
	return w.StudioAPI.CreatePresignedDomainUrl(ctx, &changed, opts...)
}

func studioOf(r *rig) broker.StudioAPI { return r.sm.(broker.StudioAPI) }

func (r *rig) brokerWithStudio(st broker.StudioAPI) *broker.Broker {
	r.t.Helper()
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		r.t.Fatal(err)
	}
	cfg := testutil.BrokerConfig(r.limits)
	cfg.STS, cfg.SageMaker, cfg.Studio, cfg.Mapping, cfg.Audit = r.sts, r.sm, st, func() *abac.Mapping { return m }, r.audit
	b, err := broker.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

func TestOpenStudioAsksWhichTeam(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	both := abac.Identity{Subject: "dev-frank", Username: "frank", Groups: []string{"ds-marketing", "secds-admins"}}
	_, err := openStudio(t, r.b, both, "", "")
	e := wantCode(t, err, api.CodeChooseStudio)
	if e.Kind.Status() != http.StatusConflict || !strings.Contains(e.Message, "marketing, platform") || !strings.Contains(e.Message, "--team marketing") {
		t.Errorf("refusal = %d %s", e.Kind.Status(), e.Message)
	}
	if ev := r.audit.last(); ev.Decision != audit.Choose || ev.Code != string(api.CodeChooseStudio) {
		t.Errorf("audit = %+v", ev)
	}
	res, err := openStudio(t, r.b, both, "platform", "platform-shared")
	if err != nil || res.Team != "platform" || res.Studio.Space != "platform-shared" {
		t.Errorf("open with the team: %+v, %v", res, err)
	}
}

// Two tabs opening Studio at once for a person without a profile: both get
// in: when both ask to create the profile, the second finds it in use
// (ResourceInUse) and checks its tags like any other.
func TestOpenStudioCreatesTheProfileOnceForTwoTabs(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	gina := abac.Identity{Subject: "dev-gina", Username: "gina", Groups: []string{"secds-admins"}}
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := r.b.OpenStudio(context.Background(), gina, broker.StudioRequest{RequestMeta: meta})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if tags, ok := r.emu.UserProfileTags(devDomain, "gina"); !ok || tags["team"] != "platform" || tags["owner"] != "gina" {
		t.Errorf("gina's profile: %v (exists %v)", tags, ok)
	}
}

// Pinned, a Studio URL works from the users' network only, as a notebook
// URL does: the emulator re-authorizes the presigner's policy, with the
// request's own address, when the link is used.
func TestPinnedStudioURL(t *testing.T) {
	const vpce = "vpce-0a1b2c3d4e5f60718"
	pinned := iampolicy.Options{SourceVPCEs: []string{vpce}, UserIPs: []string{"127.0.0.2/32"}}
	t.Run("a broker outside its endpoint", func(t *testing.T) {
		r := newRigOpts(t, configs.DevTeams, rigOptions{policy: pinned})
		_, err := openStudio(t, r.b, bob, "", "")
		wantCode(t, err, api.CodeAWSDenied)
	})
	for _, tt := range []struct {
		from string
		want int
	}{
		{"127.0.0.2", http.StatusOK},
		{"127.0.0.3", http.StatusForbidden},
	} {
		t.Run("from "+tt.from, func(t *testing.T) {
			r := newRigOpts(t, configs.DevTeams, rigOptions{vpce: vpce, policy: pinned})
			res, err := openStudio(t, r.b, bob, "", "marketing-shared")
			if err != nil {
				t.Fatalf("the broker's Studio open through its endpoint: %v", err)
			}
			resp, err := fromAddr(t, tt.from).Get(res.URL)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d:\n%s", resp.StatusCode, tt.want, body)
			}
			if tt.want == http.StatusOK && !strings.Contains(string(body), `id="space">marketing-shared<`) {
				t.Errorf("not the Studio page:\n%s", body)
			}
		})
	}
}

// BenchmarkOpenStudioWarm measures a Studio open with the team session
// cached: DescribeDomain, ListUserProfiles, ListTags on the profile, and, with
// a space, ListSpaces and ListTags on each space the person could own, then
// the presign. Nothing of Studio is cached, so each op makes those calls.
func BenchmarkOpenStudioWarm(b *testing.B) {
	for _, space := range []string{"", "marketing-shared"} {
		b.Run("space="+space, func(b *testing.B) {
			r := newRigWith(b, configs.DevTeams, nil, testutil.BrokerConfig(broker.Config{}))
			ctx := context.Background()
			open := func() {
				if _, err := r.b.OpenStudio(ctx, bob, broker.StudioRequest{Space: space, RequestMeta: meta}); err != nil {
					b.Fatal(err)
				}
			}
			open()
			calls := func() int {
				n := 0
				for _, op := range []string{"DescribeDomain", "ListUserProfiles", "ListSpaces", "ListTags", "CreatePresignedDomainUrl"} {
					n += r.emu.Calls(op)
				}
				return n
			}
			before, ops := calls(), 0
			b.ReportAllocs()
			for b.Loop() {
				open()
				ops++
			}
			b.ReportMetric(float64(calls()-before)/float64(ops), "aws-calls/op")
		})
	}
}

// A warm Studio open is one AWS call, the presign, as a warm notebook open
// is: the domain, the profile's tags and the spaces are reused for the
// discovery TTL, then read again, so a retagged profile counts from then.
func TestWarmStudioOpenIsOneCall(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{Now: now, DiscoveryTTL: 30 * time.Second})
	ops := []string{"DescribeDomain", "ListUserProfiles", "ListSpaces", "ListTags", "CreatePresignedDomainUrl"}
	calls := func() map[string]int {
		m := map[string]int{}
		for _, op := range ops {
			m[op] = r.emu.Calls(op)
		}
		return m
	}
	for _, space := range []string{"", "marketing-shared"} {
		if _, err := openStudio(t, r.b, bob, "", space); err != nil {
			t.Fatal(err)
		}
		before := calls()
		if _, err := openStudio(t, r.b, bob, "", space); err != nil {
			t.Fatal(err)
		}
		after := calls()
		for _, op := range ops {
			want := 0
			if op == "CreatePresignedDomainUrl" {
				want = 1
			}
			if d := after[op] - before[op]; d != want {
				t.Errorf("space %q: a warm open made %d %s calls, want %d", space, d, op, want)
			}
		}
	}
	mu.Lock()
	clock = clock.Add(31 * time.Second)
	mu.Unlock()
	before := calls()
	if _, err := openStudio(t, r.b, bob, "", ""); err != nil {
		t.Fatal(err)
	}
	if after := calls(); after["DescribeDomain"] != before["DescribeDomain"]+1 || after["ListTags"] <= before["ListTags"] {
		t.Errorf("after the TTL the domain and profile were not read again: %v → %v", before, after)
	}
}
