package iamcheck

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// maxListed bounds how many failing pairs the text report lists one by one.
const maxListed = 20

// WriteText writes the report for a person: the matrix's size, how the
// decisions compare, what only the broker enforces and every failure.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Matrix: %d identities × %d notebooks = %d pairs over %d teams; %d IAM requests evaluated.\n",
		r.Identities, r.Notebooks, r.Pairs, r.Teams, r.Requests)
	fmt.Fprintf(&b, "Both allow: %d. Both refuse: %d. Broker only: %d. IAM looser than the broker: %d. IAM stricter than the broker: %d.\n",
		r.BothAllow, r.BothRefuse, len(r.BrokerOnly), len(r.Looser), len(r.Stricter))
	fmt.Fprintf(&b, "Trust policies: %d wrong AssumeRole calls tried (no SourceIdentity, another team's tag, an unlisted tag key, another principal, ...), %d admitted.\n",
		r.TrustProbes, len(r.TrustHoles))
	b.WriteString("\nWhat only the broker enforces:\n")
	for _, u := range r.Unenforced {
		fmt.Fprintf(&b, "  - %s\n", u)
	}
	if len(r.BrokerOnly) > 0 {
		b.WriteString("\nBroker-only pairs, by reason:\n")
		for _, g := range groupByWhy(r.BrokerOnly) {
			fmt.Fprintf(&b, "  %5d  %s\n", g.n, g.why)
		}
	}
	listPairs(&b, "IAM would allow what the broker refuses (a hole in the second wall)", r.Looser)
	listPairs(&b, "The broker opens what IAM refuses (these opens would fail)", r.Stricter)
	if len(r.TrustHoles) > 0 {
		fmt.Fprintf(&b, "\nTrust policies that admit a wrong AssumeRole: %d\n", len(r.TrustHoles))
		for _, h := range r.TrustHoles {
			fmt.Fprintf(&b, "  - %s\n", h)
		}
	}
	if r.OK() {
		b.WriteString("\nOK: IAM refuses everything the broker refuses, except the broker-only pairs above, and every wrong AssumeRole.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type whyCount struct {
	why string
	n   int
}

func groupByWhy(pairs []Pair) []whyCount {
	counts := map[string]int{}
	for _, p := range pairs {
		counts[p.Why]++
	}
	out := make([]whyCount, 0, len(counts))
	for why, n := range counts {
		out = append(out, whyCount{why, n})
	}
	slices.SortFunc(out, func(a, b whyCount) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.why, b.why)
	})
	return out
}

func listPairs(b *strings.Builder, title string, pairs []Pair) {
	if len(pairs) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s: %d\n", title, len(pairs))
	for i, p := range pairs {
		if i == maxListed {
			fmt.Fprintf(b, "  ... and %d more (-o json lists them all)\n", len(pairs)-maxListed)
			break
		}
		fmt.Fprintf(b, "  - %s (subject %s) × notebook %s: %s\n", p.User, p.Subject, p.Notebook, p.Why)
	}
}
