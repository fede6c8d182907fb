package broker_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/internal/testutil"
)

// recordingSTS passes calls to the real client and keeps what AWS returned,
// so a test can ask the emulator what it knows about the session.
type recordingSTS struct {
	broker.STSAPI
	mu   sync.Mutex
	keys []string
}

func (r *recordingSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	out, err := r.STSAPI.AssumeRole(ctx, in, opts...)
	if err == nil {
		r.mu.Lock()
		r.keys = append(r.keys, *out.Credentials.AccessKeyId)
		r.mu.Unlock()
	}
	return out, err
}

type auditLog struct {
	mu     sync.Mutex
	events []audit.Event
	fail   error
}

func (a *auditLog) Record(e audit.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.events = append(a.events, e)
	return nil
}

func (a *auditLog) last() audit.Event {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.events[len(a.events)-1]
}

type rig struct {
	emu    *awsemu.Emulator
	sts    *recordingSTS
	sm     broker.SageMakerAPI
	audit  *auditLog
	b      *broker.Broker
	limits broker.Config
	t      testing.TB
}

func newRig(t *testing.T, mapping []byte) *rig {
	t.Helper()
	return newRigWith(t, mapping, nil, broker.Config{})
}

// newRigWith lets a test change the AWS config (retries) and the broker's
// limits; tune may be nil.
func newRigWith(t testing.TB, mapping []byte, tune func(*aws.Config), limits broker.Config) *rig {
	t.Helper()
	return newRigOpts(t, mapping, rigOptions{tune: tune, limits: limits})
}

// rigOptions shape a rig's AWS side.
type rigOptions struct {
	tune   func(*aws.Config) // may be nil
	limits broker.Config
	// policy are the IAM generator's options; BrokerPrincipal is always
	// the seed's broker credential.
	policy iampolicy.Options
	// vpce, when set, puts the broker's clients behind the emulator's VPC
	// endpoint handler with this ID, as a broker inside a VPC.
	vpce string
	// notebooks are added to the dev seed's, for an account with many.
	notebooks []awsemu.Notebook
}

// newRigOpts builds a rig whose emulator has the dev seed and the IAM
// policies generated for mapping (iamseed), so the broker is tested against
// the second wall an admin would set up.
func newRigOpts(t testing.TB, mapping []byte, o rigOptions) *rig {
	t.Helper()
	m, err := abac.Parse("teams.yaml", mapping)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		t.Fatal(err)
	}
	o.policy.BrokerPrincipal = seed.Credentials[0].Principal
	seed.Notebooks = append(seed.Notebooks, o.notebooks...)
	if seed, err = iamseed.Apply(seed, m, o.policy); err != nil {
		t.Fatal(err)
	}
	emu, err := awsemu.New(seed)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	emu.SetBaseURL(srv.URL)
	endpoint := srv.URL
	if o.vpce != "" {
		h, err := emu.EndpointHandler(o.vpce)
		if err != nil {
			t.Fatal(err)
		}
		vpc := httptest.NewServer(h)
		t.Cleanup(vpc.Close)
		endpoint = vpc.URL
	}
	cred := seed.Credentials[0]
	cfg := aws.Config{
		Region:           seed.Region,
		Credentials:      credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: 1,
	}
	if o.tune != nil {
		o.tune(&cfg)
	}
	r := &rig{emu: emu, sts: &recordingSTS{STSAPI: sts.NewFromConfig(cfg)}, sm: sagemaker.NewFromConfig(cfg), audit: &auditLog{}}
	r.limits, r.t = o.limits, t
	r.b = r.broker(m)
	return r
}

func (r *rig) broker(m *abac.Mapping) *broker.Broker {
	r.t.Helper()
	return r.brokerWith(m, r.sts, r.sm)
}

// brokerWith builds a broker on the rig's emulator with the given clients.
func (r *rig) brokerWith(m *abac.Mapping, st broker.STSAPI, sm broker.SageMakerAPI) *broker.Broker {
	r.t.Helper()
	cfg := testutil.BrokerConfig(r.limits)
	cfg.STS, cfg.SageMaker, cfg.Mapping, cfg.Audit = st, sm, func() *abac.Mapping { return m }, r.audit
	b, err := broker.New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

var (
	alice = abac.Identity{Subject: "dev-alice", Username: "alice", Email: "alice@example.com", Groups: []string{"ds-fraud"}}
	meta  = broker.RequestMeta{ClientIP: "192.0.2.7", RequestID: "r1", Via: "api"}
)

func TestOpenAssumesTheTeamRoleAsTheUser(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	res, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	if err != nil {
		t.Fatal(err)
	}
	if res.Team != "fraud" || res.Notebook != "fraud-alice" || !strings.Contains(res.URL, "/notebooks/fraud-alice?authToken=") {
		t.Errorf("result = %+v", res)
	}
	if d := time.Until(res.ExpiresAt); d < 4*time.Minute || d > 5*time.Minute {
		t.Errorf("expires in %v, want about 5 minutes", d)
	}
	sess, ok := r.emu.Session(r.sts.keys[0])
	if !ok {
		t.Fatal("the emulator does not know the session")
	}
	if sess.RoleARN != "arn:aws:iam::123456789012:role/secds-team-fraud" || sess.SessionName != "alice" || sess.SourceIdentity != "alice" {
		t.Errorf("session = %+v", sess)
	}
	tags := map[string]string{}
	for _, tg := range sess.Tags {
		tags[tg.Key] = tg.Value
	}
	if tags["team"] != "fraud" || tags["user"] != "alice" || tags["cost-center"] != "cc-1042" || len(tags) != 3 {
		t.Errorf("session tags = %v", tags)
	}
	if d := time.Until(sess.Expiration); d > 15*time.Minute || d < 14*time.Minute {
		t.Errorf("session lasts %v, want the mapping's 900 s", d)
	}
	ev := r.audit.last()
	if ev.Decision != audit.Granted || ev.Team != "fraud" || ev.Role != sess.RoleARN || ev.SourceIdentity != "alice" || ev.ClientIP != "192.0.2.7" || ev.RequestID != "r1" {
		t.Errorf("audit event = %+v", ev)
	}
}

func TestSessionsAndDiscoveryAreReused(t *testing.T) {
	clock := time.Now()
	r := newRigWith(t, configs.DevTeams, nil, broker.Config{Now: func() time.Time { return clock }})
	open := func(id abac.Identity, notebook string) {
		t.Helper()
		if _, err := r.b.Open(context.Background(), id, broker.OpenRequest{Notebook: notebook, RequestMeta: meta}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		open(alice, "fraud-alice")
	}
	if n := r.emu.Calls("ListNotebookInstances"); n != 1 {
		t.Errorf("ListNotebookInstances called %d times for 3 opens, want 1", n)
	}
	if n := r.emu.Calls("AssumeRole"); n != 1 {
		t.Errorf("AssumeRole called %d times for 3 opens of one user, want 1", n)
	}

	// Another user of the same team gets a session of their own: the
	// SourceIdentity and user tag are theirs.
	dana := abac.Identity{Subject: "dev-dana", Username: "dana", Groups: []string{"ds-fraud"}}
	_, err := r.b.Open(context.Background(), dana, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	if e := api.As(err); e.Code != "notebook_not_found" {
		t.Fatalf("dana opening alice's notebook: %v", err)
	}
	if n := r.emu.Calls("AssumeRole"); n != 2 {
		t.Fatalf("AssumeRole called %d times, want a second session for dana", n)
	}
	if s, _ := r.emu.Session(r.sts.keys[1]); s.SourceIdentity != "dana" {
		t.Errorf("dana's session has SourceIdentity %q", s.SourceIdentity)
	}

	// A session is not reused within 5 minutes of its expiry (900 s).
	clock = clock.Add(11 * time.Minute)
	open(alice, "fraud-alice")
	if n := r.emu.Calls("AssumeRole"); n != 3 {
		t.Errorf("AssumeRole called %d times, want a fresh session near expiry", n)
	}

	// A changed grant (other session tags) never reuses the old session.
	current, _ := abac.Parse("t.yaml", configs.DevTeams)
	b, err := broker.New(testutil.BrokerConfig(broker.Config{STS: r.sts, SageMaker: r.sm, Mapping: func() *abac.Mapping { return current }, Audit: r.audit}))
	if err != nil {
		t.Fatal(err)
	}
	open = func(id abac.Identity, notebook string) {
		t.Helper()
		if _, err := b.Open(context.Background(), id, broker.OpenRequest{Notebook: notebook, RequestMeta: meta}); err != nil {
			t.Fatal(err)
		}
	}
	open(alice, "fraud-alice")
	before := r.emu.Calls("AssumeRole")
	changed, err := abac.Parse("t.yaml", bytes.Replace(configs.DevTeams, []byte("cost-center: cc-1042"), []byte("cost-center: cc-9999"), 1))
	if err != nil {
		t.Fatal(err)
	}
	current = changed
	// The trust policy pins the literal session tag: the admin applies the
	// edited mapping's policies, as `secds admin iam` prints them.
	if err := iamseed.Update(r.emu, changed, iampolicy.Options{BrokerPrincipal: "arn:aws:iam::123456789012:user/secds-broker"}); err != nil {
		t.Fatal(err)
	}
	open(alice, "fraud-alice")
	if n := r.emu.Calls("AssumeRole"); n != before+1 {
		t.Fatalf("AssumeRole called %d times after the mapping change, want %d", n, before+1)
	}
	sess, _ := r.emu.Session(r.sts.keys[len(r.sts.keys)-1])
	var cc string
	for _, tg := range sess.Tags {
		if tg.Key == "cost-center" {
			cc = tg.Value
		}
	}
	if cc != "cc-9999" {
		t.Errorf("the session after a mapping change carries cost-center=%q, want cc-9999", cc)
	}
}

func TestStatusIsCheckedAfreshForNotRunningNotebooks(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	ctx := context.Background()
	_, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta})
	if e := api.As(err); e.Code != "notebook_stopped" || e.Kind != api.KindConflict {
		t.Fatalf("err = %v, want notebook_stopped", err)
	}
	// Someone starts it: the cached list still says Stopped, the broker asks.
	if err := r.emu.SetNotebookStatus("fraud-alice-scratch", "InService"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta}); err != nil {
		t.Fatalf("after the notebook started: %v", err)
	}
	if err := r.emu.SetNotebookStatus("fraud-alice-scratch", "Pending"); err != nil {
		t.Fatal(err)
	}
	res, err := r.b.Open(ctx, alice, broker.OpenRequest{Notebook: "fraud-alice-scratch", RequestMeta: meta})
	if err != nil || !res.Waiting() || res.Status != "Pending" || res.URL != "" {
		t.Fatalf("Open of a Pending notebook = %+v, %v; want its state to wait for, no URL", res, err)
	}
}

func TestAuditFailsClosed(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	r.audit.fail = errors.New("disk full")
	res, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	if e := api.As(err); e.Code != "audit_unavailable" || e.Kind != api.KindUnavailable {
		t.Fatalf("err = %v, want audit_unavailable", err)
	}
	if res.URL != "" {
		t.Fatal("a URL was returned although the audit event was not written")
	}
}

const untrusted = `version: 1
teams:
  - name: fraud
    match: [{groups: [ds-fraud]}]
    role_arn: arn:aws:iam::123456789012:role/not-trusting-the-broker
    notebooks: {tags: {owner: "{{.Username}}"}}
`

// TestAWSRefusalsNameTheFix: a mapping whose role IAM was not set up for
// (the admin edited the mapping but did not apply `secds admin iam`).
func TestAWSRefusalsNameTheFix(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	m, err := abac.Parse("teams.yaml", []byte(untrusted))
	if err != nil {
		t.Fatal(err)
	}
	r.b = r.broker(m)
	_, err = r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	e := api.As(err)
	if e.Code != "aws_denied" || e.Kind != api.KindForbidden || !strings.Contains(e.Message, "trust policy") || !strings.Contains(e.Message, "not-trusting-the-broker") {
		t.Fatalf("err = %v", err)
	}
	if ev := r.audit.last(); ev.Decision != audit.Denied || ev.Code != "aws_denied" {
		t.Errorf("audit = %+v", ev)
	}
}

// throttled is a SageMaker whose list call is throttled, as AWS answers
// under load after the SDK's own retries are spent.
type throttled struct{ broker.SageMakerAPI }

func (throttled) ListNotebookInstances(context.Context, *sagemaker.ListNotebookInstancesInput, ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
}

func TestThrottlingIsRetryLater(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	r.sm = throttled{r.sm}
	m, _ := abac.Parse("t.yaml", configs.DevTeams)
	_, err := r.broker(m).Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
	e := api.As(err)
	if e.Code != "aws_throttled" || e.Kind != api.KindUnavailable || e.RetryAfter != 5*time.Second {
		t.Fatalf("err = %v", err)
	}
}

// openConcurrently has id open notebook n times at once, and fails t on
// any error.
func openConcurrently(t *testing.T, b *broker.Broker, id abac.Identity, notebook string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := b.Open(context.Background(), id, broker.OpenRequest{Notebook: notebook, RequestMeta: meta})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestConcurrentOpensShareOneListing(t *testing.T) {
	r := newRig(t, configs.DevTeams)
	// A slow first listing makes the opens overlap.
	r.emu.InjectFault("ListNotebookInstances", awsemu.Fault{Delay: 300 * time.Millisecond, Times: 1})
	openConcurrently(t, r.b, alice, "fraud-alice", 5)
	if n := r.emu.Calls("ListNotebookInstances"); n != 1 {
		t.Errorf("5 concurrent opens listed notebooks %d times, want 1", n)
	}
}

// The broker has no defaults of its own (internal/config has them): a zero
// time-out or concurrency would refuse every open, so New refuses it.
func TestNewRefusesUnusableSettings(t *testing.T) {
	for name, tune := range map[string]func(*broker.Config){
		"no AWS time-out":   func(c *broker.Config) { c.AWSTimeout = 0 },
		"no AWS slots":      func(c *broker.Config) { c.MaxConcurrentAWS = 0 },
		"no queue time-out": func(c *broker.Config) { c.QueueTimeout = 0 },
	} {
		cfg := testutil.BrokerConfig(broker.Config{})
		tune(&cfg)
		if _, err := broker.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := broker.New(testutil.BrokerConfig(broker.Config{})); err != nil {
		t.Errorf("the configured defaults: %v", err)
	}
}
