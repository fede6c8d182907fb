package kubernetes

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The shared-store variant, configs/kubernetes-dynamodb, is a kustomize
// overlay of this folder (beside it, not in it: kustomize refuses a base
// that contains its overlay). The tests apply its patches to the base as
// kustomize's strategic merge does, check with kustomize itself that this
// gives what it renders, and hold the result to the base's checks and to its
// own.

const overlayDir = "../kubernetes-dynamodb"

type kustomization struct {
	Resources []string `yaml:"resources"`
	Patches   []struct {
		Path   string `yaml:"path"`
		Patch  string `yaml:"patch"`
		Target any    `yaml:"target"`
	} `yaml:"patches"`
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatalf("%s/kustomization.yaml: %v", dir, err)
	}
	return k
}

// overlayPatches are the overlay's patches, after checking that its
// kustomization takes this folder as its base and that every file in it is
// the kustomization or one of its patches.
func overlayPatches(t *testing.T) []map[string]any {
	t.Helper()
	k := readKustomization(t, overlayDir)
	if !slices.Equal(k.Resources, []string{"../kubernetes"}) {
		t.Fatalf("the overlay's resources are %v, want the base alone: [../kubernetes]", k.Resources)
	}
	var paths []string
	for _, p := range k.Patches {
		if p.Path == "" || p.Patch != "" || p.Target != nil {
			t.Fatalf("patch %+v: the overlay's patches are strategic merges in files, matched by kind and name", p)
		}
		paths = append(paths, p.Path)
	}
	files, err := filepath.Glob(filepath.Join(overlayDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			want = append(want, b)
		}
	}
	sort.Strings(paths)
	if !slices.Equal(paths, want) {
		t.Errorf("the overlay's patches are %v; the files beside its kustomization are %v", paths, want)
	}
	return readDocs(t, overlayDir, paths...)
}

// baseDocs are the objects the base kustomization lists.
func baseDocs(t *testing.T) []map[string]any {
	t.Helper()
	return readDocs(t, ".", readKustomization(t, ".").Resources...)
}

// asManifests turns generic objects into the typed view the checks read.
func asManifests(t *testing.T, objs []map[string]any) *manifests {
	t.Helper()
	m := &manifests{}
	for _, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var typed object
		if err := yaml.Unmarshal(b, &typed); err != nil {
			t.Fatalf("%s: %v", id(o), err)
		}
		typed.file = overlayDir
		m.objects = append(m.objects, typed)
	}
	return m
}

// loadOverlay is the shared-store deployment: the base with the overlay's
// patches applied.
func loadOverlay(t *testing.T) *manifests {
	t.Helper()
	return asManifests(t, applyOverlay(t, baseDocs(t), overlayPatches(t)))
}

// variants are the two deployments: this folder (the GitOps variant, the
// mapping a ConfigMap) and the overlay (the shared store on DynamoDB).
var variants = []struct {
	name string
	load func(*testing.T) *manifests
}{
	{"gitops", loadManifests},
	{"dynamodb", loadOverlay},
}

// TestKustomizeRendersTheOverlayAsTested: kustomize itself, applied to what
// it renders of the base, gives what the test applies. It runs the kustomize
// that make tools builds from tools/kustomize (see kustomizeCommand); without
// any kustomize it skips, or fails under SECDS_REQUIRE_E2E=1 as make test
// sets it.
func TestKustomizeRendersTheOverlayAsTested(t *testing.T) {
	kz, err := kustomizeCommand()
	if err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("kustomize is required because %s=1: %v", requireEnv, err)
		}
		t.Skipf("skipping: %v (%s=1 turns this skip into a failure)", err, requireEnv)
	}
	name := strings.Join(kz, " ")
	render := func(dir string) []map[string]any {
		out, err := exec.Command(kz[0], append(kz[1:], dir)...).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("%s %s: %v\n%s", name, dir, err, ee.Stderr)
			}
			t.Fatalf("%s %s: %v", name, dir, err)
		}
		return docs(t, dir, out)
	}
	want := applyOverlay(t, render("."), overlayPatches(t))
	got := render(overlayDir)
	byID := func(objs []map[string]any) map[string]map[string]any {
		m := map[string]map[string]any{}
		for _, o := range objs {
			m[id(o)] = o
		}
		return m
	}
	g, w := byID(got), byID(want)
	if len(g) != len(w) {
		t.Fatalf("%s renders %d objects, the test %d", name, len(g), len(w))
	}
	for k, wo := range w {
		if !reflect.DeepEqual(g[k], wo) {
			gb, _ := yaml.Marshal(g[k])
			wb, _ := yaml.Marshal(wo)
			t.Errorf("%s: %s renders\n%s\nthe test applies\n%s", k, name, gb, wb)
		}
	}
}

// brokerConfig is a variant's broker.yaml, decoded generically so two
// variants' configs can be compared key by key.
func brokerConfig(t *testing.T, m *manifests) map[string]any {
	t.Helper()
	data, ok := m.one(t, "ConfigMap", "secds-broker-config").Data["broker.yaml"]
	if !ok {
		t.Fatal("the config ConfigMap has no broker.yaml")
	}
	var cfg map[string]any
	if err := yaml.Unmarshal([]byte(data), &cfg); err != nil {
		t.Fatalf("broker.yaml: %v", err)
	}
	return cfg
}

var (
	tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)
	regionRE    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
)

// TestTheOverlayConfiguresTheSharedStore: the overlay's broker config is
// the base's with mapping_store (a DynamoDB table by name) added and
// mapping_history_dir removed, and nothing else changed.
func TestTheOverlayConfiguresTheSharedStore(t *testing.T) {
	base, over := brokerConfig(t, loadManifests(t)), brokerConfig(t, loadOverlay(t))
	store, ok := over["mapping_store"].(map[string]any)
	if !ok {
		t.Fatalf("the overlay's broker.yaml has no mapping_store: %v", over)
	}
	for k := range store {
		if !slices.Contains([]string{"type", "table", "region", "endpoint", "poll_interval", "start_timeout"}, k) {
			t.Errorf("mapping_store.%s is not a key docs/dynamodb.md documents", k)
		}
	}
	if store["type"] != "dynamodb" {
		t.Errorf("mapping_store.type = %v, want dynamodb", store["type"])
	}
	if table, _ := store["table"].(string); !tableNameRE.MatchString(table) {
		t.Errorf("mapping_store.table = %v, want a table name (not an ARN)", store["table"])
	}
	aws, _ := over["aws"].(map[string]any)
	if r, set := store["region"]; set {
		if r, _ := r.(string); !regionRE.MatchString(r) {
			t.Errorf("mapping_store.region = %q, want a region", r)
		}
	} else if r, _ := aws["region"].(string); r == "" {
		t.Errorf("mapping_store.region is unset and so is aws.region")
	}
	if e, set := store["endpoint"]; set && e != "" {
		t.Errorf("mapping_store.endpoint = %v: that is for tests and local emulators only", e)
	}
	for _, k := range []string{"poll_interval", "start_timeout"} {
		if v, set := store[k]; set {
			d, err := time.ParseDuration(fmt.Sprint(v))
			if err != nil || d <= 0 || d > 10*time.Minute {
				t.Errorf("mapping_store.%s = %v, want a duration such as 1s", k, v)
			}
		}
	}
	if _, set := over["mapping_history_dir"]; set {
		t.Errorf("mapping_history_dir is set: with the DynamoDB store the history is the table's")
	}
	if _, set := base["mapping_history_dir"]; !set {
		t.Fatalf("the base sets no mapping_history_dir; the comparison below assumes it does")
	}
	delete(over, "mapping_store")
	delete(base, "mapping_history_dir")
	if !reflect.DeepEqual(base, over) {
		bb, _ := yaml.Marshal(base)
		ob, _ := yaml.Marshal(over)
		t.Errorf("apart from the store, the overlay's config differs from the base's; keep them in step:\nbase\n%s\noverlay\n%s", bb, ob)
	}
}

// TestTheOverlayPodDropsTheHistoryVolume: the history emptyDir and its
// mount are gone, every mount still names a volume and every volume is
// mounted, and the seed mapping is still on its ConfigMap.
func TestTheOverlayPodDropsTheHistoryVolume(t *testing.T) {
	baseM, over := loadManifests(t), loadOverlay(t)
	bd, bc := brokerPod(t, baseM)
	od, oc := brokerPod(t, over)
	hist, _ := brokerConfig(t, baseM)["mapping_history_dir"].(string)
	same := func(s string) string { return s }
	hm := mountFor(bc, hist+"/x", same)
	if hm == nil {
		t.Fatalf("the base's mapping_history_dir %s is on no mount", hist)
	}
	if mountFor(oc, hist+"/x", same) != nil || volumeNamed(od.Template.Spec, hm.Name) != nil {
		t.Errorf("the overlay keeps the history volume %s (mounted at %s)", hm.Name, hm.MountPath)
	}
	if len(od.Template.Spec.Volumes) != len(bd.Template.Spec.Volumes)-1 || len(oc.VolumeMounts) != len(bc.VolumeMounts)-1 {
		t.Errorf("the overlay should drop one volume and its mount, no more: %d volumes, %d mounts", len(od.Template.Spec.Volumes), len(oc.VolumeMounts))
	}
	for _, vm := range oc.VolumeMounts {
		if volumeNamed(od.Template.Spec, vm.Name) == nil {
			t.Errorf("mount %s names volume %s, which the pod lacks", vm.MountPath, vm.Name)
		}
	}
	for _, v := range od.Template.Spec.Volumes {
		if !slices.ContainsFunc(oc.VolumeMounts, func(vm struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			SubPath   string `yaml:"subPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		}) bool {
			return vm.Name == v.Name
		}) {
			t.Errorf("volume %s is mounted nowhere", v.Name)
		}
	}
	seed, _ := brokerConfig(t, over)["mapping_file"].(string)
	if sm := mountFor(oc, seed, same); sm == nil || volumeNamed(od.Template.Spec, sm.Name).ConfigMap == nil {
		t.Errorf("the seed mapping_file %s is not on a ConfigMap volume", seed)
	}
	sa := over.one(t, "ServiceAccount", od.Template.Spec.ServiceAccountName)
	if sa.Metadata.Annotations["eks.amazonaws.com/sts-regional-endpoints"] != "true" {
		t.Errorf("the overlay's ServiceAccount lost the base's annotations: %v", sa.Metadata.Annotations)
	}
}
