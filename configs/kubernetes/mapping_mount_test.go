package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/mapstore"
)

// kubeletLayout turns a directory of plain files into a ConfigMap mount as
// the kubelet's AtomicWriter makes it: each key a link to ..data/<key>,
// ..data a link to a timestamped generation holding the files. update swaps
// in a new generation the same way.
func kubeletLayout(t *testing.T, dir string) (update func(key string, data []byte)) {
	t.Helper()
	gen := 0
	swap := func(files map[string][]byte) {
		gen++
		name := fmt.Sprintf("..2026_12_04_13_00_%02d.%d", gen, 1000+gen)
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		for k, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name, k), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old, _ := os.Readlink(filepath.Join(dir, "..data"))
		os.Symlink(name, filepath.Join(dir, "..data_tmp"))
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
		if old != "" {
			os.RemoveAll(filepath.Join(dir, old))
		}
	}
	files := map[string][]byte{}
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		p := filepath.Join(dir, de.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[de.Name()] = b
		os.Remove(p)
	}
	swap(files)
	for k := range files {
		if err := os.Symlink(filepath.Join("..data", k), filepath.Join(dir, k)); err != nil {
			t.Fatal(err)
		}
	}
	return func(key string, data []byte) {
		files[key] = data
		swap(files)
	}
}

// TestTheMappingStoreOpensOnThePodsVolumes opens the broker's mapping store
// on the pod's volumes laid out as the kubelet mounts them: the mapping a
// ConfigMap (a chain of links, which the store reads only in this exact
// shape), the history on an emptyDir (mode 2777, root's when the broker is
// not root). The store must read the mapping, see an update of the
// ConfigMap, refuse writes as read-only, and keep a private history.
func TestTheMappingStoreOpensOnThePodsVolumes(t *testing.T) {
	m := loadManifests(t)
	d, c := brokerPod(t, m)
	inPod := podRoot(t, m, d.Template.Spec, c)
	for k, v := range secretEnv(t, m, c) {
		t.Setenv(k, v)
	}
	cfgPath := inPod(c.Args[1])
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(cfgPath, []byte(inPod(string(raw))), 0o600)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	update := kubeletLayout(t, filepath.Dir(cfg.MappingFile))
	hm := mountFor(c, cfg.MappingHistoryDir+"/x", inPod)
	if hm == nil {
		t.Fatalf("mapping_history_dir %s is on no volume", cfg.MappingHistoryDir)
	}
	emptyDir := inPod(hm.MountPath)
	if err := os.Chmod(emptyDir, 0o777|os.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// In the pod the broker is uid 65532 and the emptyDir root's.
		if err := os.Chown(emptyDir, 4242, 65532); err != nil {
			t.Fatal(err)
		}
	}

	want, _ := os.ReadFile(cfg.MappingFile)
	s, err := mapstore.OpenFile(context.Background(), cfg.MappingFile, mapstore.FileOptions{
		HistoryDir: cfg.MappingHistoryDir, Keys: cfg.SessionKeys, Log: slog.New(slog.DiscardHandler), Poll: -1,
	})
	if err != nil {
		t.Fatalf("the mapping store does not open on the pod's volumes: %v", err)
	}
	defer s.Close()
	cur, err := s.Get(context.Background())
	if err != nil || string(cur.Content) != string(want) {
		t.Fatalf("Get = %v; want the ConfigMap's teams.yaml", err)
	}
	if _, err := s.Put(context.Background(), want, cur.Version, mapstore.Change{}); !errors.Is(err, mapstore.ErrReadOnly) {
		t.Errorf("Put on the ConfigMap = %v, want ErrReadOnly", err)
	}
	if fi, err := os.Stat(cfg.MappingHistoryDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("history directory %v: %v, want 0700", fi, err)
	}

	ch, _ := s.Watch(t.Context())
	changed := append([]byte(strings.Clone(string(want))), "# updated\n"...)
	update("teams.yaml", changed)
	select {
	case r := <-ch:
		if string(r.Content) != string(changed) {
			t.Errorf("after the ConfigMap update the store holds %q", r.Content)
		}
	case <-time.After(5 * time.Second):
		t.Error("the ConfigMap update was not seen")
	}

	if os.Geteuid() == 0 {
		t.Run("the emptyDir's own root is refused for the history", func(t *testing.T) {
			_, err := mapstore.OpenFile(context.Background(), cfg.MappingFile, mapstore.FileOptions{
				HistoryDir: emptyDir, Keys: cfg.SessionKeys, Log: slog.New(slog.DiscardHandler), Poll: -1,
			})
			if err == nil || !strings.Contains(err.Error(), "uid 4242") {
				t.Errorf("err = %v, want the world-writable directory refused", err)
			}
		})
	}
}
