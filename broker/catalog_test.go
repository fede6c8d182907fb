package broker

import (
	"fmt"
	"slices"
	"testing"

	"github.com/secds/secds/abac"
)

// The index only narrows which notebooks Grant.Allows judges: for any grant
// it must pick exactly what judging every notebook picks, in list order.
func TestCatalogPicksWhatAllowsPicks(t *testing.T) {
	var nbs []Notebook
	for i := range 40 {
		tags := map[string]string{"team": []string{"fraud", "marketing"}[i%2], "owner": fmt.Sprintf("u%d", i%7)}
		if i%5 == 0 {
			tags["project"] = "p1"
		}
		if i == 39 {
			tags = nil // untagged
		}
		nbs = append(nbs, Notebook{Name: fmt.Sprintf("nb-%02d", i), Status: "InService", Tags: tags})
	}
	c := newCatalog(nbs)
	for _, tc := range []struct {
		name string
		g    abac.Grant
	}{
		{"team and owner", abac.Grant{Team: "fraud", NotebookTags: map[string]string{"team": "fraud", "owner": "u2"}}},
		{"team only", abac.Grant{Team: "fraud", NotebookTags: map[string]string{"team": "fraud"}}},
		{"three tags", abac.Grant{Team: "fraud", NotebookTags: map[string]string{"team": "fraud", "owner": "u0", "project": "p1"}}},
		{"a value nobody has", abac.Grant{Team: "fraud", NotebookTags: map[string]string{"team": "fraud", "owner": "nobody"}}},
		{"a key nobody has", abac.Grant{Team: "fraud", NotebookTags: map[string]string{"team": "fraud", "cost": "x"}}},
		{"names and tags", abac.Grant{Team: "marketing", NotebookTags: map[string]string{"team": "marketing"}, NotebookNames: []string{"nb-09", "nb-01", "nb-02", "missing", "nb-01"}}},
		{"names without tags", abac.Grant{Team: "fraud", NotebookNames: []string{"nb-00"}}},
		{"no selector", abac.Grant{Team: "fraud"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []Notebook
			for _, nb := range nbs {
				if tc.g.Allows(nb.Name, nb.Tags) {
					nb.Team = tc.g.Team
					want = append(want, nb)
				}
			}
			got := c.allowed(nil, &tc.g)
			if !slices.EqualFunc(got, want, func(a, b Notebook) bool { return a.Name == b.Name && a.Team == b.Team }) {
				t.Errorf("allowed = %v, want %v", names(got), names(want))
			}
		})
	}
	if nb, ok := c.named("nb-07"); !ok || nb.Tags["owner"] != "u0" {
		t.Errorf("named(nb-07) = %+v, %v", nb, ok)
	}
	if _, ok := c.named("nb-99"); ok {
		t.Error("named found a notebook the list lacks")
	}
}

func names(nbs []Notebook) []string {
	var out []string
	for _, nb := range nbs {
		out = append(out, nb.Name)
	}
	return out
}
