package compose_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/secds/secds/internal/dev/awsemu"
)

// TestEveryMetricIsDocumented: every secds_* series a broker exports after
// a few opens (one refused by AWS) is described in docs/observability.md,
// and the page names no secds_* metric that does not exist. The shared
// store's, made only with mapping_store: dynamodb, are listed here.
func TestEveryMetricIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/observability.md")
	if err != nil {
		t.Fatal(err)
	}
	st := startTraced(t, "")
	tok := st.token(t, alice)
	if resp, body := st.open(t, tok, "fraud-alice"); resp.StatusCode != http.StatusOK {
		t.Fatalf("open: %d %s", resp.StatusCode, body)
	}
	st.emu.InjectFault("CreatePresignedNotebookInstanceUrl", awsemu.Fault{Code: "ThrottlingException"})
	st.open(t, tok, "fraud-alice")
	mfs, err := st.b.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{"secds_mapping_store_poll_errors_total": true}
	for _, mf := range mfs {
		if name := mf.GetName(); strings.HasPrefix(name, "secds_") {
			exported[name] = true
			if !strings.Contains(string(doc), "`"+name+"`") {
				t.Errorf("docs/observability.md does not describe %s (%s)", name, mf.GetHelp())
			}
		}
	}
	for _, m := range regexp.MustCompile("`(secds_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		if !exported[m[1]] {
			t.Errorf("docs/observability.md names %s, which the broker does not export", m[1])
		}
	}
}
