package broker

import (
	"slices"

	"github.com/secds/secds/abac"
)

// catalog is one listing of a role's notebooks, indexed once when it is
// made, so that an open costs the same whether the account has ten notebooks
// or a thousand. It is never changed after it is built: a newer listing or a
// corrected status makes a new catalog.
type catalog struct {
	notebooks []Notebook       // in SageMaker's order
	byName    map[string]int32 // index into notebooks
	// byTag lists, for each tag key and value, the notebooks that carry
	// it, in list order. A grant's selector is rendered for the identity
	// (owner=alice), so its narrowest tag picks the few notebooks to check.
	byTag map[tagPair][]int32
}

type tagPair struct{ key, value string }

func newCatalog(nbs []Notebook) *catalog {
	c := &catalog{notebooks: nbs, byName: make(map[string]int32, len(nbs)), byTag: map[tagPair][]int32{}}
	for i, nb := range nbs {
		c.byName[nb.Name] = int32(i)
		for k, v := range nb.Tags {
			p := tagPair{k, v}
			c.byTag[p] = append(c.byTag[p], int32(i))
		}
	}
	return c
}

// named returns the notebook called name, if the role sees it.
func (c *catalog) named(name string) (Notebook, bool) {
	i, ok := c.byName[name]
	if !ok {
		return Notebook{}, false
	}
	return c.notebooks[i], true
}

// allowed appends to dst the notebooks g allows, in list order, each with
// its team set. It checks only the notebooks the grant's names or its
// narrowest tag pick, then the whole grant on each (abac.Grant.Allows stays
// the one judge).
func (c *catalog) allowed(dst []Notebook, g *abac.Grant) []Notebook {
	var picked []int32
	switch {
	case len(g.NotebookNames) > 0:
		for _, n := range g.NotebookNames {
			if i, ok := c.byName[n]; ok {
				picked = append(picked, i)
			}
		}
		slices.Sort(picked)
		picked = slices.Compact(picked)
	case len(g.NotebookTags) > 0:
		first := true
		for k, v := range g.NotebookTags {
			l := c.byTag[tagPair{k, v}]
			if first || len(l) < len(picked) {
				picked, first = l, false
			}
			if len(picked) == 0 {
				break
			}
		}
	}
	for _, i := range picked {
		nb := c.notebooks[i]
		if g.Allows(nb.Name, nb.Tags) {
			nb.Team = g.Team
			dst = append(dst, nb)
		}
	}
	return dst
}

// withStatus returns a catalog in which notebook name has status, sharing
// the indexes, which do not depend on status.
func (c *catalog) withStatus(name, status string) *catalog {
	i, ok := c.byName[name]
	if !ok || c.notebooks[i].Status == status {
		return c
	}
	nc := *c
	nc.notebooks = slices.Clone(c.notebooks)
	nc.notebooks[i].Status = status
	return &nc
}
