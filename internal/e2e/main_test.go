package e2e

import (
	"os"
	"sync"
	"testing"
)

// shared is one Hydra for the tests that do not change it: starting Hydra
// takes seconds, and each stack registers its own OAuth2 client anyway.
var shared struct {
	once sync.Once
	p    *Provider
	err  error
}

func sharedProvider(t *testing.T) *Provider {
	t.Helper()
	_, err := HydraPath()
	Need(t, "Ory Hydra", err)
	shared.once.Do(func() { shared.p, shared.err = NewProvider() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.p != nil {
		shared.p.Close()
	}
	os.Exit(code)
}
