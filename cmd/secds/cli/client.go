package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/secds/secds/internal/api"
)

// APIError is an error answer from the broker: its JSON error object and
// the HTTP status.
type APIError struct {
	Status    int
	Code      api.Code
	Message   string // the broker's, naming the fix
	RequestID string
	// RetryAfter is how long the broker asked to wait (its Retry-After),
	// or 0.
	RetryAfter time.Duration
	raw        []byte // the whole body, for answers that carry more (choices)
}

// Error is the broker's message as the CLI shows it (forCLI).
func (e *APIError) Error() string {
	msg := forCLI(e.Code, e.Message)
	if msg == "" {
		msg = fmt.Sprintf("the broker answered %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.RequestID != "" {
		msg += " (request ID " + e.RequestID + ")"
	}
	return msg
}

// ExitCode maps the broker's answer to the CLI's exit codes.
func (e *APIError) ExitCode() int {
	switch {
	case e.Status == http.StatusUnauthorized:
		return ExitAuth
	case e.Status == http.StatusBadRequest:
		return ExitUsage
	case e.Status == http.StatusForbidden, e.Status == http.StatusNotFound, e.Status == http.StatusConflict:
		return ExitDenied
	case e.Status == http.StatusTooManyRequests:
		return ExitBusy
	case e.Status >= 500:
		return ExitUnavailable
	}
	return ExitFailure
}

// maxResponse bounds what the CLI reads from a broker.
const maxResponse = 4 << 20

// call sends one request to the broker. token may be empty. in, when not
// nil, is sent as JSON; out, when not nil, receives a 2xx JSON answer.
//
// When the broker asks the CLI to slow down (429, or 503 broker_busy) for at
// most maxRetryWait, call waits that long, or until ctx ends, and tries once
// more: both refusals come before the broker did anything, so any request
// may be repeated. A 429 it gives up on is ExitBusy.
func (a *App) call(ctx context.Context, p *Profile, method, target, token string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	err := a.send(ctx, p, method, target, token, body, out)
	var ae *APIError
	if !errors.As(err, &ae) || !slowDown(ae) {
		return err
	}
	wait := ae.RetryAfter
	if wait <= 0 || wait > maxRetryWait {
		return busyOr(ae, 0)
	}
	fmt.Fprintf(a.env.Stderr, "The broker asks to slow down; trying again in %s...\n", seconds(wait))
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return Exitf(ExitFailure, "cancelled")
	case <-timer.C:
	}
	err = a.send(ctx, p, method, target, token, body, out)
	if errors.As(err, &ae) && slowDown(ae) {
		return busyOr(ae, wait)
	}
	return err
}

// slowDown reports whether the broker refused only for the load: too many
// requests from this client, or from everyone.
func slowDown(ae *APIError) bool {
	return ae.Status == http.StatusTooManyRequests || ae.Code == api.CodeBrokerBusy
}

// busyOr is a refusal for the load as the CLI ends on it: a 429 says how
// long to wait (ExitBusy); a busy broker stays unavailable.
func busyOr(ae *APIError, retried time.Duration) error {
	if ae.Status == http.StatusTooManyRequests {
		return busyError(ae, retried)
	}
	return ae
}

// send is one request of call; body is JSON or nil.
func (a *App) send(ctx context.Context, p *Profile, method, target, token string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "secds-cli/"+Version())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client, err := a.httpClient(p)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Exitf(ExitFailure, "cancelled")
		}
		if advice := a.tlsAdvice(p, err); advice != "" {
			return Exitf(ExitUnavailable, "cannot reach the broker at %s: %v.%s", p.Broker, unwrapURLError(err), advice)
		}
		return Exitf(ExitUnavailable, "cannot reach the broker at %s: %v. Check your network or VPN and that the broker is up; if its address changed, run: secds configure --broker URL%s",
			p.Broker, unwrapURLError(err), a.profileFlag())
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return Exitf(ExitUnavailable, "read the broker's answer: %v; try again", err)
	}
	if resp.StatusCode/100 != 2 {
		return apiError(resp, data, a.env.Now())
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return Exitf(ExitUnavailable, "the broker at %s sent an answer the CLI cannot read (%v). Is %s a secds broker? Check with: secds configure --broker URL",
				p.Broker, err, p.Broker)
		}
	}
	return nil
}

func apiError(resp *http.Response, data []byte, now time.Time) *APIError {
	var body api.ErrorResponse
	e := &APIError{Status: resp.StatusCode, raw: data, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), now)}
	if json.Unmarshal(data, &body) == nil {
		e.Code, e.Message, e.RequestID = body.Error.Code, body.Error.Message, body.Error.RequestID
	}
	if e.Message == "" && e.Status >= 500 {
		e.Message = fmt.Sprintf("the broker answered %d %s; try again in a minute, and tell the platform team if it persists", e.Status, http.StatusText(e.Status))
	}
	return e
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil {
		if n <= 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// unwrapURLError drops net/http's "Get \"URL\":" prefix: the message names
// the broker already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Do calls the broker's API as the logged-in user of the selected profile:
// path is below the API base ("/me"). It logs in first when there is no
// valid token, and once more when the broker refuses the token it has.
func (a *App) Do(ctx context.Context, method, path string, in, out any) error {
	return a.do(ctx, method, path, in, out, true)
}

func (a *App) do(ctx context.Context, method, path string, in, out any, mayLogin bool) error {
	p, err := a.profile()
	if err != nil {
		return err
	}
	tok, err := a.token(ctx, p, mayLogin, "")
	if err != nil {
		return err
	}
	err = a.call(ctx, p, method, p.APIBase+path, tok.Token, in, out)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		return err
	}
	// The broker refused the token (expired early, keys rotated, another
	// deployment): forget it, and log in again if allowed.
	if _, derr := a.store.Delete(p.Name); derr != nil {
		return derr
	}
	if !mayLogin || !a.env.Interactive() {
		return a.loginNeeded(ae.refusedLogin())
	}
	fmt.Fprintf(a.env.Stderr, "The broker refused the stored login (%s); logging in again.\n", ae.Code)
	if tok, err = a.token(ctx, p, true, tok.Token); err != nil {
		return err
	}
	return a.call(ctx, p, method, p.APIBase+path, tok.Token, in, out)
}
