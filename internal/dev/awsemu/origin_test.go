package awsemu

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
)

// clientFrom is an HTTP client whose connections come from ip, a loopback
// address other than 127.0.0.1 (Linux accepts all of 127/8), so a test can
// play a user on another network.
func clientFrom(t *testing.T, ip string, jar http.CookieJar) *http.Client {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr}
}

// pinnedTeamPolicy allows presigning the team's notebooks from the test's
// own address (the API call) and from 127.0.0.2 (the user's browser).
const pinnedTeamPolicy = `{"Version":"2012-10-17","Statement":[
	{"Effect":"Allow","Action":"sagemaker:CreatePresignedNotebookInstanceUrl",
	 "Resource":"arn:aws:sagemaker:*:123456789012:notebook-instance/*",
	 "Condition":{"StringEquals":{"sagemaker:ResourceTag/team":"${aws:PrincipalTag/team}"},
	              "IpAddress":{"aws:SourceIp":["127.0.0.1/32","127.0.0.2/32"]}}}]}`

// TestPresignedURLReauthorizedPerRequest: every request made with a
// presigned URL, or with the page session it starts, is authorized again
// with the presigner's policies and that request's own source address.
func TestPresignedURLReauthorizedPerRequest(t *testing.T) {
	env := newTestEnv(t)
	if err := env.emu.SetRolePolicies(fraudRole, openTrust, map[string]string{"pinned": pinnedTeamPolicy}); err != nil {
		t.Fatal(err)
	}
	link := env.presign(t, "fraud-alice")
	jar, _ := cookiejar.New(nil)
	user, elsewhere := clientFrom(t, "127.0.0.2", jar), clientFrom(t, "127.0.0.3", jar)
	reload := env.url + "/notebooks/fraud-alice"

	steps := []struct {
		name       string
		client     *http.Client
		url        string
		wantStatus int
		wantText   string
	}{
		{"link from another address", elsewhere, link, http.StatusForbidden, "Access denied"},
		{"same link from the user's address", user, link, http.StatusOK, `id="notebook-name">fraud-alice<`},
		{"reload from the user's address", user, reload, http.StatusOK, `id="notebook-name">fraud-alice<`},
		{"reload with the cookie from another address", elsewhere, reload, http.StatusForbidden, "Access denied"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			resp, body := get(t, s.client, s.url)
			if resp.StatusCode != s.wantStatus || !strings.Contains(body, s.wantText) {
				t.Errorf("status %d, want %d with %q:\n%s", resp.StatusCode, s.wantStatus, s.wantText, body)
			}
			// A refusal names no role, account or person to whoever holds
			// the link.
			if resp.StatusCode == http.StatusForbidden && (strings.Contains(body, "assumed-role") || strings.Contains(body, "alice")) {
				t.Errorf("the refusal page tells too much:\n%s", body)
			}
		})
	}

	t.Run("reload after the role lost the permission", func(t *testing.T) {
		if err := env.emu.SetRolePolicies(fraudRole, openTrust, map[string]string{"team": strings.Replace(teamPolicy, `"sagemaker:DescribeNotebookInstance","sagemaker:CreatePresignedNotebookInstanceUrl"`, `"sagemaker:DescribeNotebookInstance"`, 1)}); err != nil {
			t.Fatal(err)
		}
		if resp, body := get(t, user, reload); resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403:\n%s", resp.StatusCode, body)
		}
	})
}

// TestEndpointHandler: requests through a VPC endpoint carry aws:SourceVpce
// and no aws:SourceIp, as AWS documents.
func TestEndpointHandler(t *testing.T) {
	const vpce = "vpce-0a1b2c3d4e5f60718"
	policy := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sagemaker:ListNotebookInstances","Resource":"*","Condition":` + cond + `}]}`
	}
	tests := []struct {
		name          string
		condition     string
		viaEndpoint   bool
		wantForbidden bool
	}{
		{"endpoint, pinned to it", `{"StringEquals":{"aws:SourceVpce":"` + vpce + `"}}`, true, false},
		{"endpoint, no source IP at all", `{"Null":{"aws:SourceIp":"true"}}`, true, false},
		{"endpoint, pinned to loopback addresses", `{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`, true, true},
		{"endpoint, pinned to another endpoint", `{"StringEquals":{"aws:SourceVpce":"vpce-0000000000000000f"}}`, true, true},
		{"public path, pinned to the endpoint", `{"StringEquals":{"aws:SourceVpce":"` + vpce + `"}}`, false, true},
		{"public path, pinned to loopback addresses", `{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}`, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t)
			if err := env.emu.SetPrincipalPolicies(adminPrincipal, map[string]string{"p": policy(tt.condition)}); err != nil {
				t.Fatal(err)
			}
			h, err := env.emu.EndpointHandler(vpce)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			base := env.url
			if tt.viaEndpoint {
				base = srv.URL
			}
			sm := sagemaker.NewFromConfig(env.config(adminKey, adminSecret, ""), func(o *sagemaker.Options) { o.BaseEndpoint = aws.String(base) })
			_, err = sm.ListNotebookInstances(context.Background(), &sagemaker.ListNotebookInstancesInput{})
			if got := errorCode(t, err); (got == "AccessDeniedException") != tt.wantForbidden || (got != "" && got != "AccessDeniedException") {
				t.Errorf("error %v, want denied: %v", err, tt.wantForbidden)
			}
		})
	}
	if _, err := (&Emulator{}).EndpointHandler("vpc-123"); err == nil {
		t.Error("EndpointHandler accepted an ID that is not vpce-...")
	}
}
