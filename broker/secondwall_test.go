package broker_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/internal/testutil"
)

// The broker made wrong on purpose: each wrapper below changes one thing the
// real broker asks AWS for. The emulator, seeded with the policies `secds
// admin iam` generates for the dev mapping, must refuse every one of them:
// that is the second wall.

// teammatePresign presigns a teammate's notebook instead of the one the
// broker chose, as a broker that checked the wrong grant would.
type teammatePresign struct {
	broker.SageMakerAPI
	notebook string
}

func (w teammatePresign) CreatePresignedNotebookInstanceUrl(ctx context.Context, in *sagemaker.CreatePresignedNotebookInstanceUrlInput, opts ...func(*sagemaker.Options)) (*sagemaker.CreatePresignedNotebookInstanceUrlOutput, error) {
	changed := *in
	changed.NotebookInstanceName = aws.String(w.notebook)
	return w.SageMakerAPI.CreatePresignedNotebookInstanceUrl(ctx, &changed, opts...)
}

// ownKeys makes every SageMaker call with the broker's own long-lived keys:
// the per-call team-session credentials are dropped.
type ownKeys struct{ sm broker.SageMakerAPI }

func (w ownKeys) ListNotebookInstances(ctx context.Context, in *sagemaker.ListNotebookInstancesInput, _ ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error) {
	return w.sm.ListNotebookInstances(ctx, in)
}

func (w ownKeys) ListTags(ctx context.Context, in *sagemaker.ListTagsInput, _ ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error) {
	return w.sm.ListTags(ctx, in)
}

func (w ownKeys) DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, _ ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error) {
	return w.sm.DescribeNotebookInstance(ctx, in)
}

func (w ownKeys) CreatePresignedNotebookInstanceUrl(ctx context.Context, in *sagemaker.CreatePresignedNotebookInstanceUrlInput, _ ...func(*sagemaker.Options)) (*sagemaker.CreatePresignedNotebookInstanceUrlOutput, error) {
	return w.sm.CreatePresignedNotebookInstanceUrl(ctx, in)
}

func (w ownKeys) StartNotebookInstance(ctx context.Context, in *sagemaker.StartNotebookInstanceInput, _ ...func(*sagemaker.Options)) (*sagemaker.StartNotebookInstanceOutput, error) {
	return w.sm.StartNotebookInstance(ctx, in)
}

// ownKeysPresignOnly keeps the team session for discovery and uses the
// broker's own keys for the presign alone.
type ownKeysPresignOnly struct{ broker.SageMakerAPI }

func (w ownKeysPresignOnly) CreatePresignedNotebookInstanceUrl(ctx context.Context, in *sagemaker.CreatePresignedNotebookInstanceUrlInput, _ ...func(*sagemaker.Options)) (*sagemaker.CreatePresignedNotebookInstanceUrlOutput, error) {
	return w.SageMakerAPI.CreatePresignedNotebookInstanceUrl(ctx, in)
}

// changedAssume changes the AssumeRole request before it goes out.
type changedAssume struct {
	broker.STSAPI
	change func(*sts.AssumeRoleInput)
}

func (w changedAssume) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, opts ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	changed := *in
	changed.Tags = append([]ststypes.Tag(nil), in.Tags...)
	w.change(&changed)
	return w.STSAPI.AssumeRole(ctx, &changed, opts...)
}

func setTag(in *sts.AssumeRoleInput, key, value string) {
	for i, t := range in.Tags {
		if aws.ToString(t.Key) == key {
			in.Tags[i].Value = aws.String(value)
			return
		}
	}
	in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(key), Value: aws.String(value)})
}

func TestSecondWallRefusesAWrongBroker(t *testing.T) {
	const marketingRole = "arn:aws:iam::123456789012:role/secds-team-marketing"
	tests := []struct {
		name string
		make func(r *rig) (broker.STSAPI, broker.SageMakerAPI)
	}{
		{"presigns a teammate's notebook", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return r.sts, teammatePresign{r.sm, "fraud-dave"}
		}},
		{"presigns another team's notebook", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return r.sts, teammatePresign{r.sm, "marketing-bob"}
		}},
		{"uses its own keys for SageMaker", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return r.sts, ownKeys{r.sm}
		}},
		{"uses its own keys to presign", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return r.sts, ownKeysPresignOnly{r.sm}
		}},
		{"omits SourceIdentity", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return changedAssume{r.sts, func(in *sts.AssumeRoleInput) { in.SourceIdentity = nil }}, r.sm
		}},
		{"assumes another team's role", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return changedAssume{r.sts, func(in *sts.AssumeRoleInput) { in.RoleArn = aws.String(marketingRole) }}, r.sm
		}},
		{"assumes another team's role with its team tag", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return changedAssume{r.sts, func(in *sts.AssumeRoleInput) {
				in.RoleArn = aws.String(marketingRole)
				setTag(in, "team", "marketing")
			}}, r.sm
		}},
		{"tags the session with another team", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return changedAssume{r.sts, func(in *sts.AssumeRoleInput) { setTag(in, "team", "marketing") }}, r.sm
		}},
		{"tags the session as the teammate", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return changedAssume{r.sts, func(in *sts.AssumeRoleInput) { setTag(in, "user", "dave") }}, r.sm
		}},
		{"adds a session tag the trust policy does not list", func(r *rig) (broker.STSAPI, broker.SageMakerAPI) {
			return changedAssume{r.sts, func(in *sts.AssumeRoleInput) { setTag(in, "clearance", "all") }}, r.sm
		}},
	}
	m, err := abac.Parse("teams.yaml", devTeamsNoPosture)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, devTeamsNoPosture)
			st, sm := tt.make(r)
			b := r.brokerWith(m, st, sm)
			res, err := b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
			if e := api.As(err); e.Code != api.CodeAWSDenied || e.Kind != api.KindForbidden {
				t.Fatalf("err = %v, want AWS's refusal (%s)", err, api.CodeAWSDenied)
			}
			if res.URL != "" {
				t.Error("a URL was returned")
			}
		})
	}
	t.Run("the broker as it is", func(t *testing.T) {
		r := newRig(t, devTeamsNoPosture)
		res, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
		if err != nil || res.URL == "" {
			t.Fatalf("Open = %+v, %v", res, err)
		}
		dave := abac.Identity{Subject: "dev-dave", Username: "dave", Groups: []string{"ds-fraud"}}
		if res, err := r.b.Open(context.Background(), dave, broker.OpenRequest{Notebook: "fraud-dave", RequestMeta: meta}); err != nil || res.URL == "" {
			t.Fatalf("dave's own notebook: %+v, %v", res, err)
		}
	})
}

// fromAddr is an HTTP client whose connections come from ip, a loopback
// address (Linux accepts all of 127/8): a browser on another network.
func fromAddr(t *testing.T, ip string) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// TestPinnedURLThroughTheWholeChain: the generated policies pin the API
// calls to the broker's VPC endpoint and the URL's use to the users'
// network. The broker (behind the endpoint) still presigns, and its URL
// opens from the users' address only.
func TestPinnedURLThroughTheWholeChain(t *testing.T) {
	const vpce = "vpce-0a1b2c3d4e5f60718"
	pinned := iampolicy.Options{SourceVPCEs: []string{vpce}, UserIPs: []string{"127.0.0.2/32"}}
	open := func(t *testing.T) string {
		t.Helper()
		r := newRigOpts(t, devTeamsNoPosture, rigOptions{vpce: vpce, policy: pinned})
		res, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
		if err != nil {
			t.Fatalf("the broker's presign through its endpoint: %v", err)
		}
		return res.URL
	}
	t.Run("a broker outside its endpoint", func(t *testing.T) {
		r := newRigOpts(t, devTeamsNoPosture, rigOptions{policy: pinned})
		_, err := r.b.Open(context.Background(), alice, broker.OpenRequest{Notebook: "fraud-alice", RequestMeta: meta})
		if e := api.As(err); e.Code != api.CodeAWSDenied {
			t.Fatalf("err = %v, want AWS's refusal", err)
		}
	})
	tests := []struct {
		from string
		want int
	}{
		{"127.0.0.2", http.StatusOK},
		{"127.0.0.3", http.StatusForbidden},
		{"127.0.0.1", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run("from "+tt.from, func(t *testing.T) {
			resp, err := fromAddr(t, tt.from).Get(open(t))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d:\n%s", resp.StatusCode, tt.want, body)
			}
			if tt.want == http.StatusOK && !strings.Contains(string(body), `id="notebook-name">fraud-alice<`) {
				t.Errorf("not the notebook page:\n%s", body)
			}
		})
	}
}

// devTeamsNoPosture is the dev mapping without its require blocks: the
// second wall is about IAM, and dave's dev notebook misses fraud's.
var devTeamsNoPosture = testutil.WithoutRequire(configs.DevTeams)
