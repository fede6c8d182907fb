package compose_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/testutil/moto"
)

// sharedConfig writes a broker configuration on the DynamoDB store at
// endpoint and loads it.
func sharedConfig(t *testing.T, endpoint, table, mapping string, startTimeout time.Duration) *config.Config {
	t.Helper()
	dir := t.TempDir()
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	files := map[string]string{
		"client-secret": "s3cret\n",
		"session-keys":  key + "\n",
		"broker.yaml": fmt.Sprintf(`public_url: http://127.0.0.1:8080
oidc: {issuer: "http://127.0.0.1:1", client_id: secds, client_secret_file: client-secret}
session: {keys_file: session-keys}
aws: {region: us-east-1}
metrics: {listen: "off"}
mapping_store: {type: dynamodb, table: %s, endpoint: "%s", start_timeout: %s}
`, table, endpoint, startTimeout),
	}
	if mapping != "" {
		files["teams.yaml"] = mapping
		files["broker.yaml"] += "mapping_file: teams.yaml\n"
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := config.Load(filepath.Join(dir, "broker.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func build(t *testing.T, cfg *config.Config) (*compose.Broker, string, error) {
	t.Helper()
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	srv := moto.Server{}
	awsCfg := srv.Config()
	b, err := compose.Build(ctx, cfg, compose.Options{Log: slog.New(slog.NewTextHandler(&logs, nil)), AuditOut: &logs, AWS: &awsCfg})
	if b != nil {
		t.Cleanup(func() { _ = b.Close() })
	}
	return b, logs.String(), err
}

// TestSharedStoreUnreachableAtStart: a broker whose table cannot be reached
// retries for start_timeout, then refuses to start with a message naming
// the table and the cause; once the table answers, it starts.
func TestSharedStoreUnreachableAtStart(t *testing.T) {
	// Port 1 (tcpmux) has no listener: a port found free and closed could
	// be taken meanwhile by anything else on a busy machine.
	dead := "http://127.0.0.1:1"
	cfg := sharedConfig(t, dead, "secds-state", string(configs.DevTeams), 2*time.Second)
	started := time.Now()
	_, logs, err := build(t, cfg)
	took := time.Since(started)
	if err == nil {
		t.Fatal("the broker started without its table")
	}
	for _, want := range []string{"secds-state", "tried for 2s", "connect"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if took > 10*time.Second {
		t.Errorf("gave up after %s, want about start_timeout (2s)", took)
	}
	if !strings.Contains(logs, "waiting for the mapping store's DynamoDB table") {
		t.Errorf("no retry was logged:\n%s", logs)
	}

	srv := moto.Start(t)
	table := srv.NewTable(t)
	b, _, err := build(t, sharedConfig(t, srv.URL, table, string(configs.DevTeams), 2*time.Second))
	if err != nil {
		t.Fatalf("with the table up: %v", err)
	}
	if s := b.Mapping.State(); s.Serving.Number != 1 || s.Serving.Author != compose.SeedAuthor {
		t.Errorf("serving %+v, want the seed", s.Serving)
	}

	t.Run("a missing table is named", func(t *testing.T) {
		_, _, err := build(t, sharedConfig(t, srv.URL, "no-such-table", string(configs.DevTeams), 0))
		if err == nil || !strings.Contains(err.Error(), `"no-such-table" does not exist`) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an empty table without a seed", func(t *testing.T) {
		_, _, err := build(t, sharedConfig(t, srv.URL, srv.NewTable(t), "", 0))
		if err == nil || !strings.Contains(err.Error(), "holds no team mapping yet; set mapping_file") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("an invalid seed is not written", func(t *testing.T) {
		empty := srv.NewTable(t)
		_, _, err := build(t, sharedConfig(t, srv.URL, empty, "version: 1\nteams: [\n", 0))
		if err == nil || !strings.Contains(err.Error(), "is not seeded") {
			t.Errorf("err = %v", err)
		}
		_, _, err = build(t, sharedConfig(t, srv.URL, empty, "", 0))
		if err == nil || !strings.Contains(err.Error(), "holds no team mapping yet") {
			t.Errorf("the invalid seed reached the table: %v", err)
		}
	})
	t.Run("a second broker on the table serves what is there, not its file", func(t *testing.T) {
		b2, _, err := build(t, sharedConfig(t, srv.URL, table, string(configs.DevTeams)+"# another file\n", 0))
		if err != nil {
			t.Fatal(err)
		}
		if s := b2.Mapping.State(); s.Serving.Number != 1 || s.Serving.Digest != b.Mapping.State().Serving.Digest {
			t.Errorf("second broker serves %+v, want the table's version 1", s.Serving)
		}
	})
}
