package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/secds/secds/internal/dev/awsemu"
)

// A world is what one broker serves: a team mapping, the AWS emulator's
// seed that matches it, and the broker's configuration. The harness writes
// it into a temporary directory; the broker and emulator processes read it.
type world struct {
	kind      string // worldSmall, worldMany or worldTeams
	notebooks int    // worldMany, worldTeams: one per user
	// traceTo, when set, is the OTLP/HTTP endpoint the broker exports
	// every request's trace to (tracing.sample_ratio 1).
	traceTo string
}

const (
	// worldSmall is one team whose members all open one shared notebook
	// (selected by the team tag), so any number of fresh users can open
	// it: the warm, cold and 256-concurrent scenarios.
	worldSmall = "small"
	// worldMany is one team where each user has a notebook of their own
	// (selected by the owner tag), among as many notebooks as users.
	worldMany = "many"
	// worldTeams is ten teams, users spread over them round-robin, each
	// user with a notebook of their own: what AWS calls cost per open.
	worldTeams = "teams"
	teamCount  = 10

	account        = "123456789012"
	brokerKeyID    = "AKIABENCHBROKER00001"
	brokerSecret   = "bench-broker-secret-NOT-A-REAL-KEY-0000"
	brokerARN      = "arn:aws:iam::" + account + ":user/secds-broker"
	sharedNotebook = "bench-shared"
)

// teamOf is the team user i is in, and the group that puts them there.
func (w world) teamOf(i int) (name, group string) {
	switch w.kind {
	case worldMany:
		return "many", "ds-many"
	case worldTeams:
		return fmt.Sprintf("t%d", i%teamCount), fmt.Sprintf("ds-t%d", i%teamCount)
	}
	return "bench", "ds-bench"
}

// teams are the world's teams, by name.
func (w world) teams() []string {
	n := 1
	if w.kind == worldTeams {
		n = teamCount
	}
	out := make([]string, n)
	for i := range out {
		out[i], _ = w.teamOf(i)
	}
	return out
}

// notebookOf is the notebook user i opens.
func (w world) notebookOf(i int) string {
	if w.kind == worldSmall {
		return sharedNotebook
	}
	return fmt.Sprintf("nb-%04d", i%w.notebooks)
}

// username is user i's name; cold users get a prefix of their own so that
// no cold user has a cached session from an earlier round.
func username(prefix string, i int) string { return fmt.Sprintf("%s%05d", prefix, i) }

func (w world) mapping() []byte {
	var b strings.Builder
	b.WriteString(`# Written by secds-bench.
version: 1
support: "secds-bench"
admin_groups: [secds-admins]
defaults:
  role_session_seconds: 3600
  notebook_session_seconds: 3600
teams:
`)
	for i, name := range w.teams() {
		_, group := w.teamOf(i)
		selector := "team: " + name
		if w.kind != worldSmall {
			selector = `owner: "{{.Username}}"`
		}
		fmt.Fprintf(&b, `  - name: %s
    match:
      - groups: [%s]
    role_arn: arn:aws:iam::%s:role/secds-team-%s
    notebooks:
      tags:
        %s
`, name, group, account, name, selector)
	}
	return []byte(b.String())
}

// seed is the emulator's state: the broker's credentials and the notebooks.
// IAM gets the roles and policies generated from the mapping (devstack.StartAWS).
func (w world) seed() awsemu.Seed {
	s := awsemu.Seed{
		Region:      "us-east-1",
		AccountID:   account,
		Credentials: []awsemu.Credential{{AccessKeyID: brokerKeyID, SecretAccessKey: brokerSecret, Principal: brokerARN}},
	}
	if w.kind == worldSmall {
		name, _ := w.teamOf(0)
		s.Notebooks = []awsemu.Notebook{{Name: sharedNotebook, Status: "InService", Tags: map[string]string{"team": name}}}
		return s
	}
	for i := range w.notebooks {
		name, _ := w.teamOf(i)
		s.Notebooks = append(s.Notebooks, awsemu.Notebook{
			Name: w.notebookOf(i), Status: "InService",
			Tags: map[string]string{"team": name, "owner": username("u", i)},
		})
	}
	return s
}

// brokerConfig is a real deployment's configuration but for the rate
// limits, which are off: a load test from one address as a few users would
// otherwise measure the limiter's 429s.
func (w world) brokerConfig(publicURL, mappingFile, discoveryTTL string) string {
	return fmt.Sprintf(`# Written by secds-bench.
listen: %s
metrics: {listen: "off"}
public_url: %s
mapping_file: %s
oidc:
  # Never contacted: the harness's users come with CLI tokens.
  issuer: http://127.0.0.1:9/
  client_id: secds-bench
  client_secret_file: client-secret
session:
  keys_file: session-keys
  ttl: 1h
tokens:
  keys_file: token-keys
  ttl: 2h
aws:
  region: us-east-1
  discovery_ttl: %s
limits:
  per_ip: {per_second: 0, burst: 1}
  per_user: {per_second: 0, burst: 1}
audit:
  file: audit.jsonl
`, strings.TrimPrefix(publicURL, "http://"), publicURL, mappingFile, discoveryTTL) + w.tracing()
}

// tracing is the broker's tracing block: none unless traceTo is set.
func (w world) tracing() string {
	if w.traceTo == "" {
		return ""
	}
	return fmt.Sprintf("tracing: {otlp_endpoint: %q, sample_ratio: 1, service_name: secds-bench}\n", w.traceTo)
}

// write puts the world into dir: teams.yaml, broker.yaml and its secrets.
func (w world) write(dir, publicURL, discoveryTTL string) (configFile string, err error) {
	mappingFile := filepath.Join(dir, "teams.yaml")
	files := map[string][]byte{
		"teams.yaml":    w.mapping(),
		"broker.yaml":   []byte(w.brokerConfig(publicURL, mappingFile, discoveryTTL)),
		"client-secret": []byte(randomKey() + "\n"),
		"session-keys":  []byte(randomKey() + "\n"),
		"token-keys":    []byte(randomKey() + "\n"),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
	}
	return filepath.Join(dir, "broker.yaml"), nil
}

func randomKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
