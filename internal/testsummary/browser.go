package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
)

// browserTests finds, in the package in dir, the top-level tests that start
// Chromium: those that call start (NewBrowser), directly or through the
// package's own helpers (called or handed to t.Run). Helpers are matched by
// name, methods included, so a test that might start a browser counts.
func browserTests(dir, start string) (map[string]bool, error) {
	pkgs, err := parser.ParseDir(token.NewFileSet(), dir, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	calls := map[string]map[string]bool{} // function name → names it calls
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				set := calls[fd.Name.Name]
				if set == nil {
					set = map[string]bool{}
					calls[fd.Name.Name] = set
				}
				// Every name used counts, not only calls: a test may
				// hand a helper to t.Run.
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if id, ok := n.(*ast.Ident); ok {
						set[id.Name] = true
					}
					return true
				})
			}
		}
	}
	reaches := map[string]bool{start: true}
	for changed := true; changed; {
		changed = false
		for fn, cs := range calls {
			if reaches[fn] {
				continue
			}
			for c := range cs {
				if reaches[c] {
					reaches[fn], changed = true, true
					break
				}
			}
		}
	}
	tests := map[string]bool{}
	for fn := range calls {
		if reaches[fn] && strings.HasPrefix(fn, "Test") && fn != start {
			tests[fn] = true
		}
	}
	return tests, nil
}
