package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/secds/secds/internal/testutil"
)

// Hydra is a running Ory Hydra: `hydra serve all --dev` with an in-memory
// database on two loopback ports.
type Hydra struct {
	// Issuer is the issuer exactly as Hydra reports it (with a trailing
	// slash); relying parties compare it byte for byte.
	Issuer    string
	PublicURL string // Issuer without the trailing slash
	AdminURL  string
	Admin     *HydraAdmin

	cmd  *exec.Cmd
	out  *testutil.Buffer // the tail of its output
	done chan struct{}
}

// hydraStartTimeout is generous: Hydra runs its migrations at start, and
// under make test it shares two cores with the race-enabled unit tests.
const hydraStartTimeout = 90 * time.Second

// startHydra starts bin with the login and consent URLs of the app that
// authenticates its users. A free port can be taken by someone else between
// finding it and Hydra binding it, so a start that fails early is retried.
func startHydra(bin, loginURL, consentURL string) (*Hydra, error) {
	var errs []error
	for range 3 {
		h, err := startHydraOnce(bin, loginURL, consentURL)
		if err == nil {
			return h, nil
		}
		errs = append(errs, err)
	}
	return nil, fmt.Errorf("start hydra: %w", errors.Join(errs...))
}

func startHydraOnce(bin, loginURL, consentURL string) (*Hydra, error) {
	publicPort, err := freePort(ProviderHost)
	if err != nil {
		return nil, err
	}
	adminPort, err := freePort(ProviderHost)
	if err != nil {
		return nil, err
	}
	h := &Hydra{
		Issuer:    fmt.Sprintf("http://%s:%d/", ProviderHost, publicPort),
		PublicURL: fmt.Sprintf("http://%s:%d", ProviderHost, publicPort),
		AdminURL:  fmt.Sprintf("http://%s:%d", ProviderHost, adminPort),
		out:       &testutil.Buffer{Max: 64 << 10},
		done:      make(chan struct{}),
	}
	h.Admin = &HydraAdmin{BaseURL: h.AdminURL, Client: &http.Client{Timeout: 15 * time.Second}}
	secret := randomHex(32)
	h.cmd = exec.Command(bin, "serve", "all", "--dev", "--sqa-opt-out")
	h.cmd.Env = append(os.Environ(),
		"DSN=memory",
		"URLS_SELF_ISSUER="+h.Issuer,
		"URLS_LOGIN="+loginURL,
		"URLS_CONSENT="+consentURL,
		"SERVE_PUBLIC_HOST="+ProviderHost,
		"SERVE_PUBLIC_PORT="+strconv.Itoa(publicPort),
		"SERVE_ADMIN_HOST="+ProviderHost,
		"SERVE_ADMIN_PORT="+strconv.Itoa(adminPort),
		"SECRETS_SYSTEM="+secret,
		// No telemetry: the machine has no network, and a test has no
		// business phoning home.
		"SQA_OPT_OUT=true",
		"LOG_LEVEL=warn",
		"OAUTH2_EXPOSE_INTERNAL_ERRORS=true",
	)
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	dieWithParent(h.cmd)
	if err := h.cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() {
		_ = h.cmd.Wait()
		close(h.done)
	}()
	if err := h.waitReady(); err != nil {
		h.Stop()
		return nil, fmt.Errorf("%w; hydra said:\n%s", err, h.Output())
	}
	return h, nil
}

// waitReady polls until both ports answer: the admin API's readiness and
// the public discovery document.
func (h *Hydra) waitReady() error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(hydraStartTimeout)
	for _, u := range []string{h.AdminURL + "/health/ready", h.PublicURL + "/.well-known/openid-configuration"} {
		for {
			resp, err := c.Get(u)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			select {
			case <-h.done:
				return errors.New("hydra exited while starting")
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("hydra not ready at %s after %s", u, hydraStartTimeout)
			}
		}
	}
	return nil
}

// Stop ends Hydra: politely, then for good.
func (h *Hydra) Stop() {
	if h.cmd.Process == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
}

// Output is what Hydra logged, for failure messages.
func (h *Hydra) Output() string { return strings.TrimSpace(h.out.String()) }

// RotateSigningKey adds a new RS256 key to the set Hydra signs ID tokens
// with. Hydra signs with the newest key and keeps publishing the old ones,
// as a provider rotating its keys does.
func (h *Hydra) RotateSigningKey(ctx context.Context, kid string) error {
	return h.Admin.CreateKey(ctx, IDTokenKeySet, kid)
}

func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
