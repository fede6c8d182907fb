package api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestKindStatus(t *testing.T) {
	for k := KindInternal; k <= KindUnavailable; k++ {
		if s := k.Status(); http.StatusText(s) == "" || (k != KindInternal && s == http.StatusInternalServerError) {
			t.Errorf("kind %d has status %d", k, s)
		}
	}
	if s := Kind(99).Status(); s != http.StatusInternalServerError {
		t.Errorf("unknown kind: status %d, want 500", s)
	}
}

func TestTitle(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{Kind: KindConflict, Code: CodeNotebookStopped}, "The notebook is stopped"},
		{Error{Kind: KindForbidden, Code: CodeCSRFFailed}, "This form was refused"},
		{Error{Kind: KindForbidden, Code: "no_title_of_its_own"}, "You may not do that"},
		{Error{Kind: KindNotConfigured, Code: "no_title_of_its_own"}, "This broker is not set up for that"},
		{Error{Kind: KindBadRequest, Code: CodeIdPRefused}, "Sign-in failed"},
		{Error{Kind: KindUnavailable, Code: CodeIdPRefused}, "Sign-in is unavailable"},
		{Error{Kind: KindUnavailable, Code: CodeAWSTimeout}, "AWS did not answer in time"},
		{Error{Kind: KindUnavailable, Code: "no_title_of_its_own"}, "A service secds needs is unavailable"},
	} {
		if got := tc.err.Title(); got != tc.want {
			t.Errorf("%s (kind %d): title %q, want %q", tc.err.Code, tc.err.Kind, got, tc.want)
		}
	}
}

// TestStatusTitlesAreSentences: no status a page can have is headed with
// its HTTP name.
func TestStatusTitlesAreSentences(t *testing.T) {
	statuses := append(StatusTitles(), http.StatusTeapot, 599)
	for k := KindInternal; k <= KindUnavailable; k++ {
		statuses = append(statuses, k.Status())
	}
	for _, st := range statuses {
		if got := StatusTitle(st); got == "" || got == http.StatusText(st) {
			t.Errorf("StatusTitle(%d) = %q", st, got)
		}
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 0, time.Millisecond: 1, 1500 * time.Millisecond: 2, 30 * time.Second: 30} {
		if got := (&Error{RetryAfter: d}).RetryAfterSeconds(); got != want {
			t.Errorf("RetryAfter %s: %d seconds, want %d", d, got, want)
		}
	}
}

func TestAs(t *testing.T) {
	e := &Error{Kind: KindNotFound, Code: CodeNoNotebook, Message: "none"}
	if got := As(fmt.Errorf("open: %w", e)); got != e {
		t.Errorf("As found %v, want the wrapped refusal", got)
	}
	cause := errors.New("boom")
	got := As(cause)
	if got.Kind != KindInternal || got.Code != CodeInternal || !errors.Is(got, cause) {
		t.Errorf("As(plain error) = %+v, want an internal refusal wrapping it", got)
	}
}
