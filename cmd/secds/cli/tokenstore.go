package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/zalando/go-keyring"
)

// keyringService names secds's entries in the OS keyring.
const keyringService = "secds"

// Keyring is the part of an OS keyring the CLI uses; zalando/go-keyring's
// functions have this shape.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// osKeyring is the OS keyring (Secret Service, macOS Keychain, Windows
// Credential Manager). A call that hangs (a locked keyring waiting for a
// prompt nobody sees) counts as a failure after timeout.
type osKeyring struct{ timeout time.Duration }

func (k osKeyring) Get(service, user string) (string, error) {
	var s string
	err := k.call(func() (err error) { s, err = keyring.Get(service, user); return err })
	return s, err
}

func (k osKeyring) Set(service, user, secret string) error {
	return k.call(func() error { return keyring.Set(service, user, secret) })
}

func (k osKeyring) Delete(service, user string) error {
	return k.call(func() error { return keyring.Delete(service, user) })
}

func (k osKeyring) call(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(k.timeout):
		return errors.New("the OS keyring did not answer in time")
	}
}

// storedToken is what the CLI keeps per profile. Broker is checked on use,
// so a token never goes to a broker other than the one that issued it.
type storedToken struct {
	Broker    string    `json:"broker"`
	Token     string    `json:"token"` // a bearer secret
	ExpiresAt time.Time `json:"expires_at"`
	Username  string    `json:"username"`
}

// valid reports whether t can be sent to p's broker now; a token within a
// minute of expiry is treated as expired so it does not die in flight.
func (t *storedToken) valid(p *Profile, now time.Time) bool {
	return t != nil && t.Token != "" && t.Broker == p.Broker && now.Add(time.Minute).Before(t.ExpiresAt)
}

// tokenStore keeps one token per profile: in the OS keyring when there is
// one, else in a 0600 file under the user's cache directory.
type tokenStore struct {
	keyring Keyring
	dir     string // <cache>/secds/tokens
}

func (a *App) tokens() (*tokenStore, error) {
	dir, err := a.env.userDir(true)
	if err != nil {
		return nil, Exitf(ExitFailure, "find the cache directory: %v; set HOME or XDG_CACHE_HOME", err)
	}
	return &tokenStore{keyring: a.env.Keyring, dir: filepath.Join(dir, "tokens")}, nil
}

func keyringUser(profile string) string { return "profile:" + profile }

// FilePath is where profile's token lives when the keyring is unavailable.
func (s *tokenStore) FilePath(profile string) string {
	return filepath.Join(s.dir, profile+".json")
}

// Load returns the stored token for profile, or nil.
func (s *tokenStore) Load(profile string) (*storedToken, error) {
	if raw, err := s.keyring.Get(keyringService, keyringUser(profile)); err == nil {
		var t storedToken
		if json.Unmarshal([]byte(raw), &t) == nil {
			return &t, nil
		}
	}
	data, err := os.ReadFile(s.FilePath(profile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	var t storedToken
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, nil // a damaged file is as good as none: the next login replaces it
	}
	return &t, nil
}

// Save stores t for profile and says where: "the OS keyring" or the file.
func (s *tokenStore) Save(profile string, t *storedToken) (string, error) {
	data, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode token: %w", err)
	}
	if err := s.keyring.Set(keyringService, keyringUser(profile), string(data)); err == nil {
		// A file from a time without keyring would shadow nothing but
		// still hold a secret: remove it.
		_ = os.Remove(s.FilePath(profile))
		return "the OS keyring", nil
	}
	path := s.FilePath(profile)
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return "", Exitf(ExitFailure, "store the token in %s: %v; check that the cache directory is writable", path, err)
	}
	return path + " (readable only by you; no OS keyring is available)", nil
}

// Delete removes profile's token from both places and reports whether there
// was one.
func (s *tokenStore) Delete(profile string) (bool, error) {
	found := false
	if err := s.keyring.Delete(keyringService, keyringUser(profile)); err == nil {
		found = true
	}
	err := os.Remove(s.FilePath(profile))
	switch {
	case err == nil:
		found = true
	case !errors.Is(err, fs.ErrNotExist):
		return found, Exitf(ExitFailure, "delete the token file %s: %v; delete it by hand", s.FilePath(profile), err)
	}
	return found, nil
}
