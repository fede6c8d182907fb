package awsemu

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// callBoth makes one cheap call to each service with the given credentials
// and returns the two error codes ("" on success).
func callBoth(t *testing.T, stsClient *sts.Client, sm *sagemaker.Client) (string, string) {
	t.Helper()
	ctx := context.Background()
	_, stsErr := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	_, smErr := sm.ListNotebookInstances(ctx, &sagemaker.ListNotebookInstancesInput{})
	return errorCode(t, stsErr), errorCode(t, smErr)
}

func TestSignatureVerification(t *testing.T) {
	env := newTestEnv(t)
	session := env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"})
	wrongRegion := func(key, secret string) (*sts.Client, *sagemaker.Client) {
		cfg := env.config(key, secret, "")
		cfg.Region = "eu-west-1"
		return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(env.url) }),
			sagemaker.NewFromConfig(cfg, func(o *sagemaker.Options) { o.BaseEndpoint = aws.String(env.url) })
	}
	wrongRegionSTS, wrongRegionSM := wrongRegion(brokerKey, brokerSecret)

	tests := []struct {
		name          string
		key, secret   string
		token         string
		stsC          *sts.Client
		smC           *sagemaker.Client
		wantSTS, want string
	}{
		{name: "right secret", key: adminKey, secret: adminSecret},
		// Authenticated, then authorized: the broker's policy allows no SageMaker call.
		{name: "right secret, no permission", key: brokerKey, secret: brokerSecret, want: "AccessDeniedException"},
		{name: "session credentials", key: *session.AccessKeyId, secret: *session.SecretAccessKey, token: *session.SessionToken},
		{name: "wrong secret", key: brokerKey, secret: otherSecret, wantSTS: "SignatureDoesNotMatch", want: "InvalidSignatureException"},
		{name: "unknown key", key: "AKIAUNKNOWNKEY00001", secret: brokerSecret, wantSTS: "InvalidClientTokenId", want: "UnrecognizedClientException"},
		{name: "session with wrong token", key: *session.AccessKeyId, secret: *session.SecretAccessKey, token: "forged", wantSTS: "InvalidClientTokenId", want: "UnrecognizedClientException"},
		{name: "session without token", key: *session.AccessKeyId, secret: *session.SecretAccessKey, wantSTS: "InvalidClientTokenId", want: "UnrecognizedClientException"},
		{name: "long-lived key with a token", key: brokerKey, secret: brokerSecret, token: "unexpected", wantSTS: "InvalidClientTokenId", want: "UnrecognizedClientException"},
		{name: "wrong signing region", stsC: wrongRegionSTS, smC: wrongRegionSM, wantSTS: "SignatureDoesNotMatch", want: "InvalidSignatureException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stsC, smC := tt.stsC, tt.smC
			if stsC == nil {
				stsC, smC = env.sts(tt.key, tt.secret, tt.token), env.sageMaker(tt.key, tt.secret, tt.token)
			}
			gotSTS, gotSM := callBoth(t, stsC, smC)
			if gotSTS != tt.wantSTS || gotSM != tt.want {
				t.Errorf("codes = (%q, %q), want (%q, %q)", gotSTS, gotSM, tt.wantSTS, tt.want)
			}
		})
	}
}

func TestExpiredSessionRefused(t *testing.T) {
	env := newTestEnv(t)
	c := env.assume(t, fraudRole, "alice", map[string]string{"team": "fraud"})
	stsC, smC := env.sts(*c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken), env.sessionSageMaker(c)

	if gotSTS, gotSM := callBoth(t, stsC, smC); gotSTS != "" || gotSM != "" {
		t.Fatalf("fresh session refused: %q %q", gotSTS, gotSM)
	}
	env.emu.Advance(2 * time.Hour)
	if gotSTS, gotSM := callBoth(t, stsC, smC); gotSTS != "ExpiredToken" || gotSM != "ExpiredTokenException" {
		t.Errorf("after expiry codes = (%q, %q), want (ExpiredToken, ExpiredTokenException)", gotSTS, gotSM)
	}
	// Long-lived keys keep working: Advance does not move the signing clock.
	if gotSTS, gotSM := callBoth(t, env.brokerSTS(), env.adminSageMaker()); gotSTS != "" || gotSM != "" {
		t.Errorf("broker refused after Advance: %q %q", gotSTS, gotSM)
	}
}

func TestClockSkew(t *testing.T) {
	ahead := func() time.Time { return time.Now().Add(20 * time.Minute) }
	tests := []struct {
		name          string
		opts          []Option
		wantSTS, want string
	}{
		{"in sync", nil, "", ""},
		{"20 minutes skew", []Option{WithClock(ahead)}, "SignatureDoesNotMatch", "InvalidSignatureException"},
		{"skew check disabled", []Option{WithClock(ahead), WithMaxClockSkew(0)}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, tt.opts...)
			gotSTS, gotSM := callBoth(t, env.brokerSTS(), env.adminSageMaker())
			if gotSTS != tt.wantSTS || gotSM != tt.want {
				t.Errorf("codes = (%q, %q), want (%q, %q)", gotSTS, gotSM, tt.wantSTS, tt.want)
			}
		})
	}
}

// TestRawRequests covers what the SDK never sends: no signature, a body
// swapped after signing, a payload hash that does not match the body.
func TestRawRequests(t *testing.T) {
	env := newTestEnv(t)
	const body = "Action=GetCallerIdentity&Version=2011-06-15"
	signed := func(t *testing.T, signedBody, sentBody string, header map[string]string) *http.Request {
		req, err := http.NewRequest(http.MethodPost, env.url+"/", strings.NewReader(sentBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		sum := sha256.Sum256([]byte(signedBody))
		creds := aws.Credentials{AccessKeyID: brokerKey, SecretAccessKey: brokerSecret}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	unsigned := func(t *testing.T) *http.Request {
		req, _ := http.NewRequest(http.MethodPost, env.url+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	badHash := strings.Repeat("0", 64)

	tests := []struct {
		name       string
		req        func(t *testing.T) *http.Request
		wantStatus int
		wantCode   string
	}{
		{"signed", func(t *testing.T) *http.Request { return signed(t, body, body, nil) }, http.StatusOK, ""},
		{"unsigned", unsigned, http.StatusForbidden, "MissingAuthenticationToken"},
		{"body swapped", func(t *testing.T) *http.Request {
			return signed(t, body, "Action=GetCallerIdentity&Version=2011-06-15&X=1", nil)
		}, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"payload hash mismatch", func(t *testing.T) *http.Request {
			return signed(t, body, body, map[string]string{"X-Amz-Content-Sha256": badHash})
		}, http.StatusForbidden, "SignatureDoesNotMatch"},
		{"garbled authorization", func(t *testing.T) *http.Request {
			r := unsigned(t)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 nonsense")
			r.Header.Set("X-Amz-Date", time.Now().UTC().Format(amzDateFormat))
			return r
		}, http.StatusBadRequest, "IncompleteSignature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tt.req(t))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, raw)
			}
			if tt.wantCode == "" {
				return
			}
			var e stsErrorResponse
			if err := xml.Unmarshal(raw, &e); err != nil {
				t.Fatalf("error body is not an STS ErrorResponse: %v: %s", err, raw)
			}
			if e.Error.Code != tt.wantCode || e.Error.Type != "Sender" || e.RequestID == "" {
				t.Errorf("error = %+v, want code %s", e, tt.wantCode)
			}
		})
	}
}
