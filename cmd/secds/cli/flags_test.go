package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/iampolicy"
)

// parse runs the CLI on args with the use cases replaced by a recorder: it
// returns the input the flags and arguments parsed into, or the exit code
// and message of the refusal. No broker is involved.
func parse(t *testing.T, args ...string) (input any, code int, stderr string) {
	t.Helper()
	home := t.TempDir()
	var out, errb bytes.Buffer
	a := &App{env: Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Keyring: failingKeyring{},
		Getenv: func(k string) string {
			return map[string]string{"XDG_CONFIG_HOME": filepath.Join(home, "config"), "XDG_CACHE_HOME": filepath.Join(home, "cache"), "HOME": home}[k]
		},
	}.withDefaults()}
	a.parsed = func(in any) { input = in }
	code = a.run(context.Background(), args)
	return input, code, errb.String()
}

func TestFlagsParseIntoInputs(t *testing.T) {
	wait := waitOptions{Timeout: defaultWaitTimeout}
	for _, tc := range []struct {
		args []string
		want any
	}{
		{[]string{"configure", "--broker", "https://n.example/"}, configureInput{Broker: "https://n.example"}},
		{[]string{"configure", "--broker", "http://127.0.0.1:8080", "--ca-file", "ca.pem"}, configureInput{Broker: "http://127.0.0.1:8080", CAFile: "ca.pem"}},
		{[]string{"login", "--no-browser"}, loginInput{Login: loginOptions{paste: true}}},
		{[]string{"login", "--browser-command", "firefox"}, loginInput{Login: loginOptions{browserCommand: "firefox"}}},
		{[]string{"open"}, openInput{Wait: wait}},
		{[]string{"open", "fraud-alice", "--team", "fraud"}, openInput{Request: api.OpenRequest{Team: "fraud", Notebook: "fraud-alice"}, Wait: wait}},
		{[]string{"open", "--print-url", "-o", "json"}, openInput{PrintURL: true, JSON: true, Wait: wait}},
		{[]string{"open", "-o", "json"}, openInput{PrintURL: true, JSON: true, Wait: wait}},
		{[]string{"open", "--no-browser"}, openInput{Login: loginOptions{paste: true}, Wait: wait}},
		{[]string{"open", "--no-wait"}, openInput{Wait: waitOptions{NoWait: true, Timeout: defaultWaitTimeout}}},
		{[]string{"open", "--wait-timeout", "90s"}, openInput{Wait: waitOptions{Timeout: 90 * time.Second}}},
		{[]string{"list", "-o", "json"}, listInput{JSON: true}},
		{[]string{"whoami"}, whoamiInput{}},
		{[]string{"logout"}, logoutInput{}},
		{[]string{"admin", "mapping", "get", "--version", "12"}, mappingGetInput{Version: 12}},
		{[]string{"admin", "mapping", "edit", "--editor", "ed", "-y", "--reason", "risk"}, mappingEditInput{Editor: "ed", Yes: true, Reason: "risk"}},
		{[]string{"admin", "mapping", "apply", "-f", "teams.yaml", "--reason", "add risk"}, mappingApplyInput{File: "teams.yaml", Reason: "add risk"}},
		{[]string{"admin", "mapping", "validate", "-f", "-"}, mappingValidateInput{File: "-"}},
		{[]string{"admin", "mapping", "validate", "--offline", "-f", "teams.yaml"}, mappingValidateInput{File: "teams.yaml", Offline: true}},
		{[]string{"admin", "mapping", "diff", "--file", "teams.yaml"}, mappingFileInput{File: "teams.yaml"}},
		{[]string{"admin", "mapping", "history", "-o", "json"}, mappingHistoryInput{JSON: true}},
		{[]string{"admin", "mapping", "rollback", "7"}, mappingRollbackInput{Version: 7}},
		{[]string{"admin", "explain", "--user", "alice@corp.example", "--groups", "ds-fraud, staff,"},
			explainInput{Request: api.ExplainRequest{Email: "alice@corp.example", Groups: []string{"ds-fraud", "staff"}}}},
		{[]string{"admin", "explain", "--user", "alice", "--email", "a@corp.example", "--notebooks"},
			explainInput{Request: api.ExplainRequest{Username: "alice", Email: "a@corp.example", Notebooks: true}}},
		{[]string{"admin", "explain", "--claims", "claims.json", "-o", "json"}, explainInput{ClaimsFile: "claims.json", JSON: true}},
		{[]string{"admin", "iam", "--broker-role", "arn:aws:iam::1:role/b", "--team", "fraud"},
			iamInput{Team: "fraud", Options: iampolicy.Options{BrokerPrincipal: "arn:aws:iam::1:role/b"}}},
		{[]string{"admin", "iam", "--broker-role", "R", "--all", "-f", "t.yaml", "--source-vpce", "vpce-1,vpce-2", "--out", "p"},
			iamInput{All: true, File: "t.yaml", OutDir: "p", Options: iampolicy.Options{BrokerPrincipal: "R", SourceVPCEs: []string{"vpce-1", "vpce-2"}}}},
		{[]string{"admin", "iam", "--broker-role", "arn:aws:iam::1:user/b", "--all", "--source-ip", "198.51.100.7/32", "--user-ip", "203.0.113.0/24", "--user-ip", "2001:db8::/32", "--user-vpce", "vpce-3"},
			iamInput{All: true, Options: iampolicy.Options{BrokerPrincipal: "arn:aws:iam::1:user/b", SourceIPs: []string{"198.51.100.7/32"}, UserIPs: []string{"203.0.113.0/24", "2001:db8::/32"}, UserVPCEs: []string{"vpce-3"}}}},
		{[]string{"admin", "iam", "--broker-role", "R", "--check", "-f", "t.yaml"},
			iamInput{All: true, Check: true, File: "t.yaml", Options: iampolicy.Options{BrokerPrincipal: "R"}}},
		{[]string{"admin", "iam", "--broker-role", "R", "--all", "--state-table", "arn:aws:dynamodb:eu-west-1:1:table/s"},
			iamInput{All: true, Options: iampolicy.Options{BrokerPrincipal: "R", StateTable: "arn:aws:dynamodb:eu-west-1:1:table/s"}}},
		{[]string{"admin", "iam", "--broker-role", "R", "--check", "-o", "json", "--source-vpce", "vpce-1", "--user-ip", "203.0.113.0/24"},
			iamInput{All: true, Check: true, JSON: true, Options: iampolicy.Options{BrokerPrincipal: "R", SourceVPCEs: []string{"vpce-1"}, UserIPs: []string{"203.0.113.0/24"}}}},
		{[]string{"admin", "tokens", "revoke", "alice"}, revokeInput{Request: api.RevokeRequest{Username: "alice"}}},
		{[]string{"admin", "tokens", "revoke", "--subject", "00u1", "-o", "json"}, revokeInput{Request: api.RevokeRequest{Subject: "00u1"}, JSON: true}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, code, stderr := parse(t, tc.args...)
			if code != ExitOK || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("input %#v (exit %d, %s), want %#v", got, code, stderr, tc.want)
			}
		})
	}
}

func TestFlagsRefused(t *testing.T) {
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"configure"}, "--broker URL is required"},
		{[]string{"configure", "--broker", "http://n.example"}, "uses plain http"},
		{[]string{"configure", "--broker", "https://n.example/path"}, "more than a scheme and host"},
		{[]string{"open", "a", "b"}, "Run 'secds open --help' for usage."},
		{[]string{"open", "--print-url", "-o", "yaml"}, `--output "yaml" is not a format`},
		{[]string{"list", "--bogus"}, "unknown flag: --bogus. Run 'secds list --help' for usage."},
		{[]string{"admin", "mapping", "apply"}, "required flag(s) \"file\" not set\nRun 'secds admin mapping apply --help' for usage."},
		{[]string{"admin", "mapping", "get", "--version", "x"}, "Run 'secds admin mapping get --help' for usage."},
		{[]string{"admin", "mapping", "rollback"}, "Run 'secds admin mapping rollback --help' for usage."},
		{[]string{"admin", "mapping", "rollback", "0"}, `"0" is not a version number`},
		{[]string{"admin", "explain"}, "say whom to explain: --user, --groups or --claims FILE"},
		{[]string{"admin", "iam", "--team", "fraud"}, "--broker-role is missing: the ARN of the IAM role (or IAM user) the broker runs as"},
		{[]string{"admin", "iam", "--team", "fraud"}, "For example:\n  secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --team fraud\n"},
		{[]string{"admin", "iam", "--all", "-f", "teams.yaml"}, "secds admin iam --broker-role arn:aws:iam::111122223333:role/secds-broker --all -f teams.yaml\n"},
		{[]string{"admin", "iam", "--check"}, "--broker-role arn:aws:iam::111122223333:role/secds-broker --check\n"},
		{[]string{"admin", "iam", "--broker-role", "R"}, "give --team TEAM or --all"},
		{[]string{"admin", "iam", "--broker-role", "R", "--all", "--team", "fraud"}, "give --team TEAM or --all"},
		{[]string{"admin", "iam", "--broker-role", "R", "--all", "--studio"}, "unknown flag: --studio"},
		{[]string{"admin", "iam", "--broker-role", "R", "--check", "--team", "fraud"}, "--check proves every team's policies at once"},
		{[]string{"admin", "iam", "--broker-role", "R", "--check", "--out", "p"}, "--check proves every team's policies at once"},
		{[]string{"admin", "iam", "--broker-role", "R", "--all", "-o", "json"}, "--output is for --check's report"},
		{[]string{"admin", "iam", "--broker-role", "R", "--check", "-o", "yaml"}, `--output "yaml" is not a format`},
		{[]string{"admin", "tokens", "revoke"}, "name one person"},
		{[]string{"admin", "tokens", "revoke", "alice", "--subject", "00u1"}, "name one person"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			got, code, stderr := parse(t, tc.args...)
			if code != ExitUsage || got != nil || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, input %#v, stderr %q; want exit %d saying %q", code, got, stderr, ExitUsage, tc.msg)
			}
		})
	}
}
