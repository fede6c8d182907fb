package awsemu

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	smtypes "github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
)

func TestListNotebookInstancesPagination(t *testing.T) {
	env := newTestEnv(t)
	client := env.adminSageMaker()
	var names []string
	pages := 0
	p := sagemaker.NewListNotebookInstancesPaginator(client, &sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		for _, nb := range out.NotebookInstances {
			names = append(names, *nb.NotebookInstanceName)
		}
	}
	want := []string{"admin-sandbox", "fraud-alice", "fraud-alice-stopped", "marketing-bob", "untagged"}
	if !slices.Equal(names, want) || pages != 3 {
		t.Errorf("names = %v in %d pages, want %v in 3", names, pages, want)
	}
	if got := env.emu.Calls("ListNotebookInstances"); got != 3 {
		t.Errorf("Calls(ListNotebookInstances) = %d, want 3", got)
	}
}

func TestListNotebookInstancesFields(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	env := newTestEnv(t, WithClock(func() time.Time { return start }), WithMaxClockSkew(0))
	out, err := env.adminSageMaker().ListNotebookInstances(context.Background(), &sagemaker.ListNotebookInstancesInput{NameContains: aws.String("ALICE-STOP")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.NotebookInstances) != 1 {
		t.Fatalf("got %d notebooks, want 1", len(out.NotebookInstances))
	}
	nb := out.NotebookInstances[0]
	checks := map[string][2]string{
		"name":   {*nb.NotebookInstanceName, "fraud-alice-stopped"},
		"arn":    {*nb.NotebookInstanceArn, "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/fraud-alice-stopped"},
		"status": {string(nb.NotebookInstanceStatus), "Stopped"},
		"type":   {string(nb.InstanceType), "ml.t3.medium"},
		"url":    {*nb.Url, "fraud-alice-stopped.notebook.us-east-1.sagemaker.aws"},
	}
	for field, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", field, c[0], c[1])
		}
	}
	if nb.CreationTime == nil || nb.CreationTime.IsZero() || nb.CreationTime.After(start) {
		t.Errorf("CreationTime = %v", nb.CreationTime)
	}
}

func TestListNotebookInstancesFilters(t *testing.T) {
	env := newTestEnv(t)
	tests := []struct {
		name     string
		in       sagemaker.ListNotebookInstancesInput
		want     []string
		wantCode string
	}{
		{"status", sagemaker.ListNotebookInstancesInput{StatusEquals: smtypes.NotebookInstanceStatusStopped}, []string{"fraud-alice-stopped"}, ""},
		{"name", sagemaker.ListNotebookInstancesInput{NameContains: aws.String("fraud")}, []string{"fraud-alice", "fraud-alice-stopped"}, ""},
		{"name descending", sagemaker.ListNotebookInstancesInput{NameContains: aws.String("fraud"), SortOrder: smtypes.NotebookInstanceSortOrderDescending}, []string{"fraud-alice-stopped", "fraud-alice"}, ""},
		{"max results 0", sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(0)}, nil, "ValidationException"},
		{"max results 101", sagemaker.ListNotebookInstancesInput{MaxResults: aws.Int32(101)}, nil, "ValidationException"},
		{"bad status", sagemaker.ListNotebookInstancesInput{StatusEquals: "Sleeping"}, nil, "ValidationException"},
		{"bad token", sagemaker.ListNotebookInstancesInput{NextToken: aws.String("garbage")}, nil, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := env.adminSageMaker().ListNotebookInstances(context.Background(), &tt.in)
			if got := errorCode(t, err); got != tt.wantCode {
				t.Fatalf("error code = %q, want %q (%v)", got, tt.wantCode, err)
			}
			if err != nil {
				return
			}
			var names []string
			for _, nb := range out.NotebookInstances {
				names = append(names, *nb.NotebookInstanceName)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("names = %v, want %v", names, tt.want)
			}
		})
	}
}

func TestDescribeNotebookInstance(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	out, err := env.adminSageMaker().DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("Fraud-Alice")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.NotebookInstanceName != "fraud-alice" || out.NotebookInstanceStatus != smtypes.NotebookInstanceStatusInService ||
		out.DirectInternetAccess != smtypes.DirectInternetAccessEnabled || *out.Url != "fraud-alice.notebook.us-east-1.sagemaker.aws" {
		t.Errorf("describe = %s %s %s %s", *out.NotebookInstanceName, out.NotebookInstanceStatus, out.DirectInternetAccess, *out.Url)
	}

	if err := env.emu.SetNotebookStatus("fraud-alice", "Stopping"); err != nil {
		t.Fatal(err)
	}
	out, err = env.adminSageMaker().DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("fraud-alice")})
	if err != nil || out.NotebookInstanceStatus != smtypes.NotebookInstanceStatusStopping {
		t.Errorf("after SetNotebookStatus: %v %v", out, err)
	}

	_, err = env.adminSageMaker().DescribeNotebookInstance(ctx, &sagemaker.DescribeNotebookInstanceInput{NotebookInstanceName: aws.String("nope")})
	if got := errorCode(t, err); got != "ValidationException" || !strings.Contains(err.Error(), "RecordNotFound") {
		t.Errorf("unknown notebook: %v", err)
	}
	if err := env.emu.SetNotebookStatus("nope", "Stopped"); err == nil {
		t.Error("SetNotebookStatus on unknown notebook succeeded")
	}
	if err := env.emu.SetNotebookStatus("fraud-alice", "Sleeping"); err == nil {
		t.Error("SetNotebookStatus with bad status succeeded")
	}
}

func TestListTags(t *testing.T) {
	env := newTestEnv(t)
	session := env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"})
	arn := "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/marketing-bob"
	tests := []struct {
		name     string
		client   *sagemaker.Client
		arn      string
		want     []Tag
		wantCode string
	}{
		{"admin", env.adminSageMaker(), arn, []Tag{{"owner", "bob"}, {"team", "marketing"}}, ""},
		{"broker's own key, no SageMaker policy", env.brokerSageMaker(), arn, nil, "AccessDeniedException"},
		{"session may read other teams' tags", env.sessionSageMaker(session), arn, []Tag{{"owner", "bob"}, {"team", "marketing"}}, ""},
		{"untagged", env.adminSageMaker(), "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/untagged", nil, ""},
		{"unknown", env.adminSageMaker(), "arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/nope", nil, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.client.ListTags(context.Background(), &sagemaker.ListTagsInput{ResourceArn: aws.String(tt.arn)})
			if got := errorCode(t, err); got != tt.wantCode {
				t.Fatalf("error code = %q, want %q (%v)", got, tt.wantCode, err)
			}
			if err != nil {
				return
			}
			var got []Tag
			for _, tag := range out.Tags {
				got = append(got, Tag{*tag.Key, *tag.Value})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("tags = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCreatePresignedNotebookInstanceURL(t *testing.T) {
	env := newTestEnv(t)
	fraud := env.sessionSageMaker(env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud", "user": "alice"}))
	upperKey := env.sessionSageMaker(env.assume(t, fraudRole, "carol", map[string]string{"TEAM": "fraud"}))
	wrongCase := env.sessionSageMaker(env.assume(t, fraudRole, "dave", map[string]string{"team": "Fraud"}))
	noTeam := env.sessionSageMaker(env.assume(t, fraudRole, "erin", nil))

	tests := []struct {
		name     string
		client   *sagemaker.Client
		notebook string
		duration *int32
		wantCode string
	}{
		{"team session, own notebook", fraud, "fraud-alice", nil, ""},
		{"tag key matched ignoring case", upperKey, "fraud-alice", nil, ""},
		{"team session, other team's notebook", fraud, "marketing-bob", nil, "AccessDeniedException"},
		{"team session, untagged notebook", fraud, "untagged", nil, "AccessDeniedException"},
		{"team session, unknown notebook", fraud, "nope", nil, "AccessDeniedException"},
		{"tag value compared exactly", wrongCase, "fraud-alice", nil, "AccessDeniedException"},
		{"session without team tag", noTeam, "fraud-alice", nil, "AccessDeniedException"},
		{"admin, any notebook", env.adminSageMaker(), "marketing-bob", aws.Int32(1800), ""},
		{"broker's own key, no SageMaker policy", env.brokerSageMaker(), "fraud-alice", nil, "AccessDeniedException"},
		{"admin, unknown notebook", env.adminSageMaker(), "nope", nil, "ValidationException"},
		{"stopped notebook", fraud, "fraud-alice-stopped", nil, "ValidationException"},
		{"duration 1799", fraud, "fraud-alice", aws.Int32(1799), "ValidationException"},
		{"duration 43201", fraud, "fraud-alice", aws.Int32(43201), "ValidationException"},
		{"duration 43200", fraud, "fraud-alice", aws.Int32(43200), ""},
		{"name 64 chars", fraud, strings.Repeat("a", 64), nil, "ValidationException"},
		{"name bad chars", fraud, "fraud_alice", nil, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.client.CreatePresignedNotebookInstanceUrl(context.Background(), &sagemaker.CreatePresignedNotebookInstanceUrlInput{
				NotebookInstanceName:               aws.String(tt.notebook),
				SessionExpirationDurationInSeconds: tt.duration,
			})
			if got := errorCode(t, err); got != tt.wantCode {
				t.Fatalf("error code = %q, want %q (%v)", got, tt.wantCode, err)
			}
			if err != nil {
				if tt.wantCode == "AccessDeniedException" && !strings.Contains(err.Error(), "is not authorized to perform: sagemaker:CreatePresignedNotebookInstanceUrl on resource: arn:aws:sagemaker:us-east-1:123456789012:notebook-instance/") {
					t.Errorf("message = %v", err)
				}
				return
			}
			prefix := env.url + "/notebooks/" + tt.notebook + "?authToken="
			if !strings.HasPrefix(*out.AuthorizedUrl, prefix) || len(*out.AuthorizedUrl) < len(prefix)+43 {
				t.Errorf("AuthorizedUrl = %q, want prefix %q and a 32-byte token", *out.AuthorizedUrl, prefix)
			}
		})
	}
}
