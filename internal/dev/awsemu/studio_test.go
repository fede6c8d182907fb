package awsemu_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/iampolicy"
)

const devDomain = "d-secdsdev0001"

// studioEnv is the dev seed with the policies `secds admin iam` generates
// for the dev mapping, reached with the real SDK clients.
type studioEnv struct {
	emu  *awsemu.Emulator
	url  string
	seed awsemu.Seed
}

func newStudioEnv(t *testing.T) *studioEnv {
	t.Helper()
	m, err := abac.Parse("teams.yaml", configs.DevTeams)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		t.Fatal(err)
	}
	if seed, err = iamseed.Apply(seed, m, iampolicy.Options{BrokerPrincipal: seed.Credentials[0].Principal}); err != nil {
		t.Fatal(err)
	}
	emu, err := awsemu.New(seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	return &studioEnv{emu: emu, url: srv.URL, seed: seed}
}

func (env *studioEnv) cfg(key, secret, token string) aws.Config {
	return aws.Config{Region: env.seed.Region, Credentials: credentials.NewStaticCredentialsProvider(key, secret, token),
		BaseEndpoint: aws.String(env.url), RetryMaxAttempts: 1}
}

// session is a team role session for user, as the broker asks for it.
func (env *studioEnv) session(t *testing.T, team, user string) *sagemaker.Client {
	t.Helper()
	c := env.seed.Credentials[0]
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::123456789012:role/secds-team-" + team),
		RoleSessionName: aws.String(user), SourceIdentity: aws.String(user),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}, {Key: aws.String("user"), Value: aws.String(user)}},
	}
	if team == "marketing" {
		in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String("cost-center"), Value: aws.String("cc-2077")})
	}
	out, err := sts.NewFromConfig(env.cfg(c.AccessKeyID, c.SecretAccessKey, "")).AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("assume %s: %v", team, err)
	}
	cr := out.Credentials
	return sagemaker.NewFromConfig(env.cfg(*cr.AccessKeyId, *cr.SecretAccessKey, *cr.SessionToken))
}

func presignDomain(sm *sagemaker.Client, profile, space string) (string, error) {
	in := &sagemaker.CreatePresignedDomainUrlInput{DomainId: aws.String(devDomain), UserProfileName: aws.String(profile),
		ExpiresInSeconds: aws.Int32(30), SessionExpirationDurationInSeconds: aws.Int32(1800), LandingUri: aws.String("app:JupyterLab:")}
	if space != "" {
		in.SpaceName = aws.String(space)
	}
	out, err := sm.CreatePresignedDomainUrl(context.Background(), in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.AuthorizedUrl), nil
}

func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func fetch(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A team session presigns its person's own profile, and the link opens the
// stand-in Studio page once, naming the profile, the space and the person.
func TestStudioPresignAndPage(t *testing.T) {
	env := newStudioEnv(t)
	link, err := presignDomain(env.session(t, "marketing", "bob"), "bob", "marketing-shared")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, env.url+"/studio/"+devDomain+"/auth?token=") {
		t.Fatalf("link = %s", link)
	}
	status, body := fetch(t, link)
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, want := range []string{`<span id="domain-id">d-secdsdev0001</span>`, `<span id="user-profile">bob</span>`,
		`<span id="space">marketing-shared</span>`, `<span id="landing-uri">app:JupyterLab:</span>`,
		`<span id="source-identity">bob</span>`, `<span id="team">marketing</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if status, body := fetch(t, link); status != http.StatusForbidden || !strings.Contains(body, "already used") {
		t.Errorf("second use: %d %s", status, body)
	}
	if status, _ := fetch(t, env.url+"/studio/"+devDomain+"/auth?token=forged"); status != http.StatusForbidden {
		t.Errorf("forged token: %d", status)
	}
}

// The links expire after ExpiresInSeconds on the emulator's clock.
func TestStudioLinkExpires(t *testing.T) {
	env := newStudioEnv(t)
	link, err := presignDomain(env.session(t, "marketing", "bob"), "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	env.emu.Advance(31e9)
	if status, body := fetch(t, link); status != http.StatusForbidden || !strings.Contains(body, "expired") {
		t.Errorf("expired link: %d %s", status, body)
	}
}

// Asked directly with a team's role, IAM refuses another team's profile and
// another person's; SageMaker refuses another profile's private space.
func TestStudioIAMRefusesOtherTeamsProfile(t *testing.T) {
	env := newStudioEnv(t)
	marketing := env.session(t, "marketing", "bob")
	for _, tc := range []struct {
		name, profile, space, code string
	}{
		{"another team's profile", "admin", "", "AccessDeniedException"},
		{"another team's profile with its space", "admin", "platform-shared", "AccessDeniedException"},
		{"a profile that does not exist", "nobody", "", "AccessDeniedException"},
		{"its own private space", "bob", "bob-private", ""},
		// IAM authorizes the user profile only: a shared space of another
		// team is the broker's to refuse (its team tag), as in AWS.
		{"another team's shared space", "bob", "platform-shared", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := presignDomain(marketing, tc.profile, tc.space)
			if got := awsCode(err); got != tc.code {
				t.Errorf("error = %v, want code %q", err, tc.code)
			}
		})
	}
	// The same person's session of another team: the profile's team tag
	// is marketing, so platform's role may not presign it.
	if _, err := presignDomain(env.session(t, "platform", "bob"), "bob", ""); awsCode(err) != "AccessDeniedException" {
		t.Errorf("platform session presigning bob's marketing profile: %v", err)
	}
	if _, err := presignDomain(env.session(t, "platform", "admin"), "admin", "bob-private"); awsCode(err) != "ValidationException" {
		t.Errorf("admin opening bob's private space: %v, want ValidationException", err)
	}
}

// CreatePresignedDomainUrl's parameter ranges and IAM-mode rule are AWS's.
func TestStudioPresignParameters(t *testing.T) {
	env := newStudioEnv(t)
	sm := env.session(t, "marketing", "bob")
	for _, tc := range []struct {
		name    string
		expires int32
		session int32
		ok      bool
	}{
		{"expiry 5", 5, 1800, true}, {"expiry 300", 300, 43200, true},
		{"expiry 4", 4, 1800, false}, {"expiry 301", 301, 1800, false},
		{"session 1799", 60, 1799, false}, {"session 43201", 60, 43201, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sm.CreatePresignedDomainUrl(context.Background(), &sagemaker.CreatePresignedDomainUrlInput{
				DomainId: aws.String(devDomain), UserProfileName: aws.String("bob"),
				ExpiresInSeconds: aws.Int32(tc.expires), SessionExpirationDurationInSeconds: aws.Int32(tc.session)})
			if tc.ok != (err == nil) || (!tc.ok && awsCode(err) != "ValidationException") {
				t.Errorf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
	if err := env.emu.SetDomainAuthMode(devDomain, "SSO"); err != nil {
		t.Fatal(err)
	}
	if _, err := presignDomain(sm, "bob", ""); awsCode(err) != "ValidationException" || !strings.Contains(err.Error(), "AuthMode") {
		t.Errorf("SSO domain: %v", err)
	}
	out, err := sm.DescribeDomain(context.Background(), &sagemaker.DescribeDomainInput{DomainId: aws.String(devDomain)})
	if err != nil || out.AuthMode != smtypes.AuthModeSso {
		t.Errorf("describe: %+v, %v", out, err)
	}
}

// A team that may create profiles creates one only with its team and the
// person as owner; the other team may not create at all.
func TestStudioCreateUserProfile(t *testing.T) {
	env := newStudioEnv(t)
	create := func(sm *sagemaker.Client, name string, tags map[string]string) error {
		in := &sagemaker.CreateUserProfileInput{DomainId: aws.String(devDomain), UserProfileName: aws.String(name)}
		for k, v := range tags {
			in.Tags = append(in.Tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		_, err := sm.CreateUserProfile(context.Background(), in)
		return err
	}
	platform := env.session(t, "platform", "carol")
	for _, tc := range []struct {
		name    string
		profile string
		tags    map[string]string
	}{
		{"no tags", "carol", nil},
		{"another team", "carol", map[string]string{"team": "marketing", "owner": "carol"}},
		{"another owner", "carol", map[string]string{"team": "platform", "owner": "bob"}},
		{"an extra tag", "carol", map[string]string{"team": "platform", "owner": "carol", "x": "y"}},
		{"another name", "dave", map[string]string{"team": "platform", "owner": "carol"}},
	} {
		if err := create(platform, tc.profile, tc.tags); awsCode(err) != "AccessDeniedException" {
			t.Errorf("%s: %v, want AccessDeniedException", tc.name, err)
		}
	}
	if err := create(env.session(t, "marketing", "carol"), "carol", map[string]string{"team": "marketing", "owner": "carol"}); awsCode(err) != "AccessDeniedException" {
		t.Errorf("marketing may not create profiles: %v", err)
	}
	if err := create(platform, "carol", map[string]string{"team": "platform", "owner": "carol"}); err != nil {
		t.Fatal(err)
	}
	if tags, ok := env.emu.UserProfileTags(devDomain, "carol"); !ok || tags["team"] != "platform" || tags["owner"] != "carol" {
		t.Errorf("carol's profile: %v %v", tags, ok)
	}
	if err := create(platform, "carol", map[string]string{"team": "platform", "owner": "carol"}); awsCode(err) != "ResourceInUse" {
		t.Errorf("second create: %v", err)
	}
}

// Once used, the link leaves a session cookie, so a reload keeps working
// until the session's end; the presigner's policy is checked every time.
func TestStudioPageSessionCookie(t *testing.T) {
	env := newStudioEnv(t)
	link, err := presignDomain(env.session(t, "marketing", "bob"), "bob", "")
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func(u string) (int, string) {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := get(link); status != http.StatusOK {
		t.Fatalf("first use: %d %s", status, body)
	}
	reload := env.url + "/studio/" + devDomain + "/auth"
	if status, body := get(reload); status != http.StatusOK || !strings.Contains(body, `id="user-profile">bob<`) {
		t.Errorf("reload: %d %s", status, body)
	}
	if status, _ := fetch(t, reload); status != http.StatusForbidden {
		t.Errorf("without the cookie: %d", status)
	}
	env.emu.Advance(1801e9)
	if status, body := get(reload); status != http.StatusForbidden || !strings.Contains(body, "session has ended") {
		t.Errorf("after the session: %d %s", status, body)
	}
}
