package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/secds/secds/internal/api"
)

// The broker's messages are written for its pages as much as for the CLI.
// Where a page's advice does not fit a terminal ("check the link you
// followed", "open the start page"), the CLI keeps the broker's first
// sentence, which says what is wrong, and gives its own advice by code.

// listAdvice is what to run to see the notebooks one may open.
const listAdvice = "See the notebooks you may open with: secds list"

// webAdvice are the codes whose advice is the web's: the CLI gives its own.
var webAdvice = map[api.Code]bool{
	api.CodeBadNotebookName:  true,
	api.CodeNotebookNotFound: true,
}

// webOnly are phrases of the broker's pages that mean nothing in a terminal,
// for codes not (yet) in webAdvice.
var webOnly = []string{"start page", "link you followed", "check the link"}

// forCLI is the broker's message msg for code as the CLI shows it.
func forCLI(code api.Code, msg string) string {
	if msg == "" || !webAdvice[code] && !hasWebAdvice(msg) {
		return msg
	}
	s := firstSentence(msg)
	if hasWebAdvice(s) {
		// The first sentence is all web advice, as in "A notebook name is
		// ...; check the link you followed.": keep what precedes it.
		i := strings.LastIndex(s, ";")
		if i <= 0 {
			return listAdvice
		}
		s = s[:i] + "."
	}
	return s + " " + listAdvice
}

func hasWebAdvice(s string) bool {
	for _, w := range webOnly {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// firstSentence is msg up to its first full stop outside parentheses.
func firstSentence(msg string) string {
	depth := 0
	for i, r := range msg {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case '.':
			if depth == 0 && (i+1 == len(msg) || msg[i+1] == ' ') {
				return msg[:i+1]
			}
		}
	}
	return msg
}

// refusedLogin says why the broker refused the stored login: its first
// sentence, without its advice (loginNeeded gives the CLI's, once).
func (e *APIError) refusedLogin() string {
	switch {
	case e.Code == api.CodeFreshLoginRequired:
		return "Admin commands need a login from the last hour."
	case e.Message == "":
		return "The broker refused the stored login."
	}
	return firstSentence(e.Message)
}

// loginNeeded is the error of a command that needs a login and cannot get
// one now: why, then the one command that fixes it. Without a terminal on
// stdin nobody could finish a sign-in, so the CLI says so at once rather
// than print a link and wait.
func (a *App) loginNeeded(why string) error {
	pf := a.profileFlag()
	if !a.env.Interactive() {
		return Exitf(ExitAuth, "%s stdin is not a terminal, so secds does not sign in here. Run in a terminal: secds login%s (over SSH: secds login --no-browser%s)", why, pf, pf)
	}
	return Exitf(ExitAuth, "%s Run: secds login%s", why, pf)
}

// maxRetryWait bounds how long the CLI waits, once, when the broker asks it
// to slow down; longer waits are the caller's to decide.
const maxRetryWait = 5 * time.Second

// seconds is d in whole seconds, rounded up, with its unit: "1 second",
// "3 seconds".
func seconds(d time.Duration) string {
	n := int64((d + time.Second - 1) / time.Second)
	if n == 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", n)
}

// mistakes is "1 mistake" or "n mistakes".
func mistakes(n int) string {
	if n == 1 {
		return "1 mistake"
	}
	return fmt.Sprintf("%d mistakes", n)
}

// busyError is a 429 the CLI gives up on: what the broker said, and how long
// to wait.
func busyError(ae *APIError, retried time.Duration) error {
	what := "The broker is refusing requests: too many in a short time."
	if ae.Message != "" {
		what = firstSentence(ae.Message)
	}
	wait := "Wait a minute and try again."
	if ae.RetryAfter > 0 {
		wait = "Wait " + seconds(ae.RetryAfter) + " and try again."
	}
	if retried > 0 {
		wait = "secds waited " + seconds(retried) + " and tried once more. " + wait
	}
	msg := what + " " + wait
	if ae.RequestID != "" {
		msg += " (request ID " + ae.RequestID + ")"
	}
	return &ExitError{Code: ExitBusy, Err: &busy{msg: msg, answer: ae}}
}

// busy is a 429 as the CLI reports it; it unwraps to the broker's answer.
type busy struct {
	msg    string
	answer *APIError
}

func (b *busy) Error() string { return b.msg }
func (b *busy) Unwrap() error { return b.answer }
