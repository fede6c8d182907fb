package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/pkg/browser"
	"golang.org/x/term"
)

// Env is everything the CLI takes from the world outside its arguments.
// Zero fields get the real thing; tests replace them.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Now    func() time.Time
	// OpenBrowser opens a URL in the user's browser and returns once the
	// browser was asked to, not when the page is done. --browser-command
	// takes its place.
	OpenBrowser func(url string) error
	HTTPClient  *http.Client
	// Keyring is where tokens go first; errors from it (no D-Bus, no
	// keychain) make the CLI fall back to a 0600 file.
	Keyring Keyring
	// Interactive reports whether a person can answer a prompt on Stdin:
	// whether it is a terminal. Without one, a command that needs a login
	// it does not have fails at once (ExitAuth) instead of waiting for a
	// sign-in nobody will finish.
	Interactive func() bool
	// LoginTimeout bounds the wait for the browser leg of a login.
	LoginTimeout time.Duration
	// RedirectTimeout bounds the wait for the browser to fetch the one-shot
	// loopback link `secds open` gives it.
	RedirectTimeout time.Duration
	// PollInterval, when set, replaces the broker's hint of how often to ask
	// for a starting notebook's state.
	PollInterval time.Duration
}

var quietBrowser sync.Once

func (e Env) withDefaults() Env {
	if e.Stdin == nil {
		e.Stdin = os.Stdin
	}
	if e.Stdout == nil {
		e.Stdout = os.Stdout
	}
	if e.Stderr == nil {
		e.Stderr = os.Stderr
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.OpenBrowser == nil {
		quietBrowser.Do(func() {
			// xdg-open and friends chatter on the terminal; the CLI says
			// itself whether the browser opened. Package variables: set once.
			browser.Stdout, browser.Stderr = io.Discard, io.Discard
		})
		e.OpenBrowser = func(u string) error {
			if err := browser.OpenURL(u); err != nil {
				return fmt.Errorf("no browser could be started: %w", err)
			}
			return nil
		}
	}
	if e.HTTPClient == nil {
		e.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if e.Keyring == nil {
		e.Keyring = osKeyring{timeout: 5 * time.Second}
	}
	if e.Interactive == nil {
		in := e.Stdin
		e.Interactive = func() bool { return isTerminal(in) }
	}
	if e.LoginTimeout == 0 {
		e.LoginTimeout = 5 * time.Minute
	}
	if e.RedirectTimeout == 0 {
		e.RedirectTimeout = 60 * time.Second
	}
	return e
}

// isTerminal reports whether r is a terminal a person types into. A
// character device is not enough: /dev/null is one, and cron, CI and
// `secds ... </dev/null` hand it to the CLI.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// userDir is the user's config or cache directory for secds. On Linux and
// the BSDs it follows the XDG base directory spec through Getenv (so tests
// can move it); elsewhere it is Go's os.UserConfigDir / os.UserCacheDir.
func (e Env) userDir(cache bool) (string, error) {
	switch runtime.GOOS {
	case "windows", "darwin", "ios", "plan9":
		var dir string
		var err error
		if cache {
			dir, err = os.UserCacheDir()
		} else {
			dir, err = os.UserConfigDir()
		}
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "secds"), nil
	}
	xdg, fallback := "XDG_CONFIG_HOME", ".config"
	if cache {
		xdg, fallback = "XDG_CACHE_HOME", ".cache"
	}
	if d := e.Getenv(xdg); filepath.IsAbs(d) {
		return filepath.Join(d, "secds"), nil
	}
	home := e.Getenv("HOME")
	if home == "" {
		return "", errors.New("neither $" + xdg + " nor $HOME is set")
	}
	return filepath.Join(home, fallback, "secds"), nil
}
