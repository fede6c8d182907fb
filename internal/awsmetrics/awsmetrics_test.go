package awsmetrics_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secds/secds/internal/awsmetrics"
)

const identity = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
	`<Arn>arn:aws:iam::123456789012:user/b</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult>` +
	`<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`

func stsError(code string) string {
	return fmt.Sprintf(`<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>no</Message></Error><RequestId>r2</RequestId></ErrorResponse>`, code)
}

// TestCallsAreMeasured drives the real STS client against a stand-in for
// AWS and reads the series the middleware keeps.
func TestCallsAreMeasured(t *testing.T) {
	answer := identity
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		if answer != identity {
			w.WriteHeader(http.StatusForbidden)
		}
		fmt.Fprint(w, answer)
	}))
	defer srv.Close()

	reg := prometheus.NewRegistry()
	m := awsmetrics.New(reg)
	cfg := aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	}
	cfg.APIOptions = append(cfg.APIOptions, m.APIOption())
	client := sts.NewFromConfig(cfg)
	ctx := context.Background()

	for range 2 {
		if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
	}
	answer = stsError("AccessDenied")
	if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		t.Fatal("the refusal was not an error")
	}

	got := samples(t, reg)
	for k, w := range map[string]float64{
		"secds_aws_request_duration_seconds{operation=GetCallerIdentity,result=ok,service=STS}":    2,
		"secds_aws_request_duration_seconds{operation=GetCallerIdentity,result=error,service=STS}": 1,
		"secds_aws_errors_total{kind=denied,operation=GetCallerIdentity,service=STS}":              1,
	} {
		if got[k] != w {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], w, got)
		}
	}
}

// samples maps "name{label=value,...}" to a counter's value or a
// histogram's count.
func samples(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			k := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			if h := s.GetHistogram(); h != nil {
				out[k] = float64(h.GetSampleCount())
			} else {
				out[k] = s.GetCounter().GetValue()
			}
		}
	}
	return out
}

func TestKind(t *testing.T) {
	api := func(code string) error { return &smithy.GenericAPIError{Code: code} }
	for _, tt := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("x: %w", context.DeadlineExceeded), "timeout"},
		{context.Canceled, "canceled"},
		{errors.New("dial tcp: connection refused"), "unreachable"},
		{api("ThrottlingException"), "throttled"},
		{api("ExpiredToken"), "credentials"},
		{api("AccessDeniedException"), "denied"},
		{api("ValidationException"), "validation"},
		{api("ConditionalCheckFailedException"), "conflict"},
		{api("SomethingNew"), "other"},
	} {
		if got := awsmetrics.Kind(tt.err); got != tt.want {
			t.Errorf("Kind(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
