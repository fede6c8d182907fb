package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"

	"github.com/secds/secds/internal/api"
)

// loginOptions are the flags that shape a login, on every command that may
// start one.
type loginOptions struct {
	paste          bool   // --no-browser: print the link, read the code from stdin
	browserCommand string // --browser-command
}

func (o *loginOptions) flags(cmd *cobra.Command, pasteHelp string) {
	cmd.Flags().BoolVar(&o.paste, "no-browser", false, pasteHelp)
	cmd.Flags().StringVar(&o.browserCommand, "browser-command", "", "command that opens a URL, run as: CMD URL (default: the system's browser)")
}

// loginInput is what secds login is asked.
type loginInput struct{ Login loginOptions }

func (a *App) loginCmd() *cobra.Command {
	var opts loginOptions
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in through the browser and keep a broker token",
		Long: `Sign in to the broker of the profile and keep a broker token for the
other commands (valid 12 hours by default; the broker decides).

secds opens the browser on the broker, which signs you in with your
company's identity provider as on the web, then sends the browser back to
secds on 127.0.0.1 with a one-time code. secds trades that code, with the
secret only it holds (PKCE), for the token.

With --no-browser, secds prints a link to open in any browser, on this
machine or another one (over SSH, on a phone), and asks for the code that
the broker's page shows after the sign-in. It reads the code from a
terminal: without one on stdin (ssh HOST secds login without -t, a pipe,
/dev/null) it exits 3 at once. So does secds login when no browser can be
started and stdin is no terminal, since nobody could finish the sign-in.

The token is kept in the OS keyring, or where there is none in a file
readable only by you under the user cache directory.`,
		Example: `  secds login
  secds login --no-browser          # over SSH: open the link elsewhere, type the code
  secds login --browser-command "firefox --new-window"`,
		Args: usageArgs(cobra.NoArgs),
		RunE: useCase(a, func(*cobra.Command, []string) (loginInput, error) { return loginInput{Login: opts}, nil }, a.loginNow),
	}
	opts.flags(cmd, "print the sign-in link and read the code the broker's page shows (works over SSH and from another device)")
	return cmd
}

// loginNow is secds login: a login now, whether or not a valid one is kept.
func (a *App) loginNow(ctx context.Context, in loginInput) error {
	p, err := a.profile()
	if err != nil {
		return err
	}
	if in.Login.paste && !a.env.Interactive() {
		// Nothing can be piped in ahead: the code only exists once the link
		// this run prints has been opened.
		return Exitf(ExitAuth, "secds login --no-browser reads the code the broker's page shows from a terminal, and stdin is not one. Run it in a terminal (over SSH, give ssh -t so there is one)")
	}
	unlock, err := a.lockLogin(ctx, p.Name)
	if err != nil {
		return err
	}
	defer unlock()
	_, err = a.login(ctx, p, in.Login)
	return err
}

// token returns a usable token for p: the stored one, or, when mayLogin, a
// fresh one from a login. rejected is a token the broker just refused, not
// to be used again. The login runs under the profile's lock, and the store
// is read again once the lock is held: another secds may have logged in
// meanwhile.
func (a *App) token(ctx context.Context, p *Profile, mayLogin bool, rejected string) (*storedToken, error) {
	usable := func() (*storedToken, error) {
		t, err := a.store.Load(p.Name)
		if err != nil || !t.valid(p, a.env.Now()) || t.Token == rejected {
			return nil, err
		}
		return t, nil
	}
	if t, err := usable(); t != nil || err != nil {
		return t, err
	}
	if !mayLogin || !a.env.Interactive() {
		return nil, a.loginNeeded(fmt.Sprintf("not logged in to %s, or the login has expired.", p.Broker))
	}
	unlock, err := a.lockLogin(ctx, p.Name)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if t, err := usable(); t != nil || err != nil {
		return t, err
	}
	return a.login(ctx, p, a.loginOpts)
}

// login runs one login (the caller holds the profile's lock) and stores the
// token.
func (a *App) login(ctx context.Context, p *Profile, opts loginOptions) (*storedToken, error) {
	verifier := oauth2.GenerateVerifier()
	q := url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"}}
	var code, redirect string
	var err error
	if opts.paste {
		code, err = a.pasteLogin(ctx, p, q)
	} else {
		code, redirect, err = a.loopbackLogin(ctx, p, q, opts.browserCommand)
	}
	if err != nil {
		return nil, err
	}
	var tr api.TokenResponse
	err = a.call(ctx, p, http.MethodPost, p.TokenEndpoint, "", api.TokenRequest{Code: code, Verifier: verifier, RedirectURI: redirect}, &tr)
	var ae *APIError
	switch {
	case err != nil && exitCode(err) == ExitBusy:
		return nil, err // says how long to wait
	case errors.As(err, &ae) && ae.Status < 500:
		return nil, Exitf(ExitAuth, "login failed: %v", ae)
	case err != nil:
		return nil, err
	case tr.Token == "" || !strings.EqualFold(tr.TokenType, "Bearer"):
		return nil, Exitf(ExitAuth, "login failed: the broker at %s sent no bearer token; is it a secds broker? Check with: secds configure --broker URL", p.Broker)
	}
	t := &storedToken{Broker: p.Broker, Token: tr.Token, ExpiresAt: tr.ExpiresAt, Username: tr.Username}
	where, err := a.store.Save(p.Name, t)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.env.Stderr, "Logged in to %s as %s until %s.\nThe token is kept in %s.\n",
		p.Broker, t.Username, t.ExpiresAt.Local().Format("Mon 2 Jan 15:04 MST"), where)
	return t, nil
}

// loopbackLogin opens the broker's CLI login in the browser and waits for it
// to come back to 127.0.0.1 with a code.
func (a *App) loopbackLogin(ctx context.Context, p *Profile, q url.Values, browserCommand string) (code, redirect string, err error) {
	state := randomState()
	redirect, results, stop, err := listenCallback(state)
	if err != nil {
		return "", "", Exitf(ExitAuth, "%v; use secds login --no-browser instead", err)
	}
	defer stop()
	q.Set("redirect_uri", redirect)
	q.Set("state", state)
	link := p.Broker + p.CLILoginPath + "?" + q.Encode()
	if err := a.openURL(link, browserCommand); err != nil {
		if !a.env.Interactive() {
			// No browser and no person at a terminal to open the link:
			// nobody would finish this sign-in.
			return "", "", Exitf(ExitAuth, "could not open a browser (%v), and stdin is not a terminal to sign in from. Run in a terminal: secds login%s (over SSH: secds login --no-browser%s)", err, a.profileFlag(), a.profileFlag())
		}
		fmt.Fprintf(a.env.Stderr, "Could not open a browser (%v).\nOpen this link in a browser on this machine to sign in, or press Ctrl-C and run\n'secds login --no-browser' to sign in from another device:\n\n    %s\n\n", err, link)
	} else {
		fmt.Fprintf(a.env.Stderr, "Signing in to %s in your browser. If no browser window opened, open:\n\n    %s\n\n", p.Broker, link)
	}
	fmt.Fprintln(a.env.Stderr, "Waiting for the sign-in to finish (Ctrl-C to cancel)...")
	timer := time.NewTimer(a.env.LoginTimeout)
	defer timer.Stop()
	select {
	case r := <-results:
		if r.err != nil {
			return "", "", Exitf(ExitAuth, "login failed: %v. Run secds login again to sign in", r.err)
		}
		return r.code, redirect, nil
	case <-ctx.Done():
		return "", "", Exitf(ExitAuth, "login cancelled")
	case <-timer.C:
		return "", "", Exitf(ExitAuth, "the sign-in did not finish within %s. Run secds login again, or secds login --no-browser to sign in from another device", a.env.LoginTimeout)
	}
}

// pasteLogin prints the broker's CLI login link and reads the code its page
// shows after the sign-in.
func (a *App) pasteLogin(ctx context.Context, p *Profile, q url.Values) (string, error) {
	link := p.Broker + p.CLILoginPath + "?" + q.Encode()
	fmt.Fprintf(a.env.Stderr, "Open this link in a browser on any device and sign in:\n\n    %s\n\nThen type the code the page shows (it works once, for 10 minutes).\n", link)
	code, err := a.readLine(ctx, "Code: ")
	switch {
	case ctx.Err() != nil:
		return "", Exitf(ExitAuth, "login cancelled")
	case err != nil && !errors.Is(err, io.EOF):
		return "", Exitf(ExitAuth, "read the code: %v", err)
	case code == "":
		return "", Exitf(ExitAuth, "no code was entered. Run secds login --no-browser again and type the code the broker's page shows")
	}
	return code, nil
}

// readLine prompts on stderr and reads one line from stdin, giving up when
// ctx ends.
func (a *App) readLine(ctx context.Context, prompt string) (string, error) {
	fmt.Fprint(a.env.Stderr, prompt)
	if a.stdin == nil {
		a.stdin = bufio.NewReader(a.env.Stdin)
	}
	type line struct {
		s   string
		err error
	}
	ch := make(chan line, 1)
	go func() {
		s, err := a.stdin.ReadString('\n')
		ch <- line{strings.TrimSpace(s), err}
	}()
	select {
	case l := <-ch:
		if l.s != "" {
			return l.s, nil
		}
		return "", l.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func randomState() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
