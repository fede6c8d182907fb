package kubernetes

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// A strategic merge patch applied as kustomize applies one, for the forms
// the overlay uses, over objects decoded generically: the overlay's tests
// check the result, and kustomize itself (built by make tools) that it is
// what kustomize renders.

// docs decodes every YAML document of data as a generic object.
func docs(t *testing.T, name string, data []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var o map[string]any
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o != nil {
			out = append(out, o)
		}
	}
}

func readDocs(t *testing.T, dir string, files ...string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, docs(t, f, data)...)
	}
	return out
}

// id names an object as kustomize matches a patch to it.
func id(o map[string]any) string {
	md, _ := o["metadata"].(map[string]any)
	return fmt.Sprintf("%v %v/%v", o["apiVersion"], o["kind"], md["name"])
}

// mergeKeys are the strategic-merge keys of the Kubernetes lists the
// manifests have: items with the same key merge, `$patch: delete` removes
// one. Any other list is replaced whole, as kustomize does.
var mergeKeys = map[string]string{
	"containers":     "name",
	"initContainers": "name",
	"volumes":        "name",
	"volumeMounts":   "mountPath",
	"env":            "name",
	"ports":          "containerPort",
}

// merge applies patch to dst the way a strategic merge patch does, for the
// forms the overlay may use.
func merge(dst, patch any, field string) (any, error) {
	switch p := patch.(type) {
	case map[string]any:
		d, _ := dst.(map[string]any)
		out := make(map[string]any, len(d)+len(p))
		for k, v := range d {
			out[k] = v
		}
		for k, v := range p {
			if strings.HasPrefix(k, "$") {
				return nil, fmt.Errorf("%s: directive %s is not where a list item is deleted", field, k)
			}
			m, err := merge(d[k], v, k)
			if err != nil {
				return nil, err
			}
			out[k] = m
		}
		return out, nil
	case []any:
		key, ok := mergeKeys[field]
		if !ok {
			return p, nil
		}
		d, _ := dst.([]any)
		out := slices.Clone(d)
		for _, item := range p {
			pi, ok := item.(map[string]any)
			if !ok || pi[key] == nil {
				return nil, fmt.Errorf("%s: an item without its merge key %s", field, key)
			}
			i := slices.IndexFunc(out, func(o any) bool { m, _ := o.(map[string]any); return m != nil && m[key] == pi[key] })
			switch dir := pi["$patch"]; {
			case dir == "delete" && i < 0:
				return nil, fmt.Errorf("%s: deletes %s %v, which the base does not have", field, key, pi[key])
			case dir == "delete":
				out = slices.Delete(out, i, i+1)
			case dir != nil:
				return nil, fmt.Errorf("%s: directive $patch: %v is not one the test applies", field, dir)
			case i < 0:
				out = append(out, pi)
			default:
				m, err := merge(out[i], pi, "")
				if err != nil {
					return nil, err
				}
				out[i] = m
			}
		}
		return out, nil
	default:
		return p, nil
	}
}

// applyOverlay patches the base objects with the overlay's patches; each
// patch must match exactly one base object.
func applyOverlay(t *testing.T, base []map[string]any, patches []map[string]any) []map[string]any {
	t.Helper()
	out := slices.Clone(base)
	for _, p := range patches {
		i := slices.IndexFunc(out, func(o map[string]any) bool { return id(o) == id(p) })
		if i < 0 {
			t.Fatalf("the overlay patches %s, which the base does not have", id(p))
		}
		m, err := merge(out[i], p, "")
		if err != nil {
			t.Fatalf("patch of %s: %v", id(p), err)
		}
		out[i] = m.(map[string]any)
	}
	return out
}
