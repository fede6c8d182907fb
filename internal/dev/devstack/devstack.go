// Package devstack runs the whole of secds on loopback: the embedded identity
// provider with demo users, the AWS emulator with demo roles and notebooks,
// and the broker wired to both, as `secds-broker --dev` starts it. The
// end-to-end tests (internal/e2e) build their stacks from the same pieces:
// StartAWS, devidp and compose.Build.
package devstack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/configs"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/awsemu"
	"github.com/secds/secds/internal/dev/devidp"
	"github.com/secds/secds/internal/dev/iamseed"
	"github.com/secds/secds/internal/iampolicy"
	"github.com/secds/secds/server"
)

// ClientID is the broker's client at the dev identity provider.
const ClientID = "secds-broker"

// Options configure a dev stack.
type Options struct {
	Addr     string // the broker's address; default 127.0.0.1:8080, "127.0.0.1:0" for a free port
	Log      *slog.Logger
	AuditOut io.Writer
	// StateDir holds what the stack keeps across restarts: the team
	// mapping admins edit (teams.yaml, seeded with the demo mapping if
	// absent), its history, and the broker's session and token keys
	// (keys.json, 0600), so sessions and CLI tokens survive a restart.
	// Default: a new temporary directory, removed when the stack stops.
	StateDir string
}

// Stack is a running dev stack.
type Stack struct {
	BrokerURL string
	// MetricsURL is the metrics listener (loopback, a port of its own, as
	// in production): MetricsURL + "/metrics".
	MetricsURL string
	IdPURL     string
	AWSURL     string
	IdP        *devidp.Provider
	AWS        *awsemu.Emulator
	Broker     *compose.Broker
	// ClientSecret is the broker's secret at the identity provider; tests
	// check that it never reaches a log.
	ClientSecret string
	// MappingFile is the team mapping the broker serves: edits through the
	// admin page, API and CLI land here, and edits made here are picked up.
	MappingFile string
	// StateDir holds the mapping, its history and the keys; Kept says
	// whether it outlives the stack (Options.StateDir) or is temporary.
	StateDir string
	Kept     bool
}

// Start runs the stack until ctx is done.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8080"
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if err := awsemu.CheckLoopback(opts.Addr); err != nil {
		return nil, fmt.Errorf("dev stack: %w", err)
	}
	brokerLn, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("dev stack: broker listen %s: %w", opts.Addr, err)
	}
	idpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		brokerLn.Close()
		return nil, fmt.Errorf("dev stack: identity provider listen: %w", err)
	}
	st := &Stack{BrokerURL: "http://" + brokerLn.Addr().String(), IdPURL: "http://" + idpLn.Addr().String()}

	keys, removeState, err := st.prepareState(opts.StateDir)
	if err != nil {
		return nil, closeAll(err, brokerLn, idpLn)
	}
	seed, err := awsemu.ParseSeed(configs.DevAWS)
	if err != nil {
		removeState()
		return nil, closeAll(fmt.Errorf("dev stack: AWS seed: %w", err), brokerLn, idpLn)
	}
	// IAM starts with the policies of the mapping the broker starts with.
	mapping, err := compose.LoadMapping(st.MappingFile)
	if err != nil {
		removeState()
		return nil, closeAll(fmt.Errorf("dev stack: %w", err), brokerLn, idpLn)
	}
	var awsCfg aws.Config
	if st.AWS, awsCfg, err = StartAWS(ctx, seed, mapping, opts.Log); err != nil {
		removeState()
		return nil, closeAll(err, brokerLn, idpLn)
	}
	st.AWSURL = *awsCfg.BaseEndpoint

	secret := random()
	st.ClientSecret = secret
	st.IdP, err = devidp.New(devidp.Config{
		Issuer:  st.IdPURL,
		Clients: []devidp.Client{{ID: ClientID, Secret: secret, RedirectURIs: []string{st.BrokerURL + "/callback"}}},
	})
	if err != nil {
		removeState()
		return nil, closeAll(fmt.Errorf("dev stack: identity provider: %w", err), brokerLn, idpLn)
	}
	go func() { _ = devidp.Serve(ctx, st.IdP, idpLn) }()
	cfg := &config.Config{
		PublicURL:   st.BrokerURL,
		MappingFile: st.MappingFile,
		OIDC:        config.OIDC{Issuer: st.IdPURL, ClientID: ClientID},
	}
	env := map[string]string{config.DefaultClientSecretEnv: secret, config.DefaultSessionKeysEnv: keys.SessionKeys, config.DefaultTokenKeysEnv: keys.TokenKeys}
	if err := cfg.Resolve(func(k string) string { return env[k] }); err != nil {
		removeState()
		return nil, closeAll(err, brokerLn)
	}
	st.Broker, err = compose.Build(ctx, cfg, compose.Options{Log: opts.Log, AuditOut: opts.AuditOut, AWS: &awsCfg})
	if err != nil {
		removeState()
		return nil, closeAll(err, brokerLn)
	}
	// An admin's edit reaches IAM too, as `secds admin iam` applied would.
	if err := iamseed.Follow(ctx, st.AWS, st.Broker.Mapping, BrokerPolicyOptions(seed), opts.Log); err != nil {
		removeState()
		return nil, closeAll(fmt.Errorf("dev stack: follow the mapping for IAM: %w", err), brokerLn)
	}
	metricsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		removeState()
		return nil, closeAll(fmt.Errorf("dev stack: metrics listen: %w", err), brokerLn)
	}
	st.MetricsURL = "http://" + metricsLn.Addr().String()
	srv, metricsSrv := server.HTTPServer("", st.Broker.Handler), server.HTTPServer("", st.Broker.MetricsHandler)
	go func() {
		if err := srv.Serve(brokerLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			opts.Log.Error("broker server stopped", "err", err)
		}
	}()
	go func() { _ = metricsSrv.Serve(metricsLn) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		_ = metricsSrv.Shutdown(sctx)
		_ = st.Broker.Close()
		removeState()
	}()
	return st, nil
}

// TransitionDelay is how long the dev stack's notebooks stay Pending once
// started (and Stopping once stopped): long enough to see the waiting page,
// short enough not to wait for it. Tests move the emulator's clock past it.
const TransitionDelay = 5 * time.Second

// StartAWS runs the AWS emulator with seed on a free loopback port until ctx
// is done, its IAM seeded with the policies generated from mapping m for the
// broker (iamseed.Apply with BrokerPolicyOptions), and returns it with the
// SDK configuration that reaches it as the seed's first credentials (the
// broker's own).
func StartAWS(ctx context.Context, seed awsemu.Seed, m *abac.Mapping, log *slog.Logger) (*awsemu.Emulator, aws.Config, error) {
	if len(seed.Credentials) == 0 {
		return nil, aws.Config{}, errors.New("dev stack: AWS seed: the broker's credentials (the first) are missing")
	}
	seed, err := iamseed.Apply(seed, m, BrokerPolicyOptions(seed))
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("dev stack: %w", err)
	}
	emu, err := awsemu.New(seed, awsemu.WithLogger(log.With("component", "awsemu")), awsemu.WithTransitionDelay(TransitionDelay))
	if err != nil {
		return nil, aws.Config{}, fmt.Errorf("dev stack: AWS emulator: %w", err)
	}
	u, err := awsemu.Serve(ctx, emu, "127.0.0.1:0")
	if err != nil {
		return nil, aws.Config{}, err
	}
	cred := seed.Credentials[0]
	return emu, aws.Config{
		Region:       seed.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(cred.AccessKeyID, cred.SecretAccessKey, ""),
		BaseEndpoint: aws.String(u),
	}, nil
}

// BrokerPolicyOptions are the policy generator's options for a dev seed:
// the broker is the seed's first credential, on an unpinned network.
func BrokerPolicyOptions(seed awsemu.Seed) iampolicy.Options {
	if len(seed.Credentials) == 0 {
		return iampolicy.Options{}
	}
	return iampolicy.Options{BrokerPrincipal: seed.Credentials[0].Principal}
}

func random() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func closeAll(err error, cs ...io.Closer) error {
	for _, c := range cs {
		_ = c.Close()
	}
	return err
}
