package e2e

import (
	"strings"
	"testing"
)

// signIn is the part every browser test shares: from a broker page that
// needs a session, through Hydra to the login page, and a click on the
// user's button. It returns the final response after all the redirects.
func signIn(t *testing.T, st *Stack, b *Browser, path, user string) int64 {
	t.Helper()
	b.Navigate(st.URL + path)
	if loc := b.Location(); !strings.HasPrefix(loc, st.Provider.Login.URL+"/login?") {
		t.Fatalf("opening %s landed on %s, want the provider's login page", path, redact(loc))
	}
	if got := b.Text("login-title"); !strings.Contains(got, "secds-e2e-") {
		t.Errorf("login page title = %q, want it to name the broker's client", got)
	}
	return b.ClickAndWait("login-" + user).Status
}

func wantNotebookPage(t *testing.T, b *Browser, notebook, user, team string) {
	t.Helper()
	for id, want := range map[string]string{"notebook-name": notebook, "source-identity": user, "team": team} {
		if got := b.Text(id); got != want {
			t.Errorf("#%s = %q, want %q", id, got, want)
		}
	}
}
