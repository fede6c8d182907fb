package kubernetes

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/devstack"
)

// brokerPod is the Deployment, its pod and its broker container.
func brokerPod(t *testing.T, m *manifests) (deploymentSpec, container) {
	t.Helper()
	d := decodeSpec[deploymentSpec](t, m.one(t, "Deployment", "secds-broker"))
	if len(d.Template.Spec.Containers) != 1 {
		t.Fatalf("the pod has %d containers, want the broker alone", len(d.Template.Spec.Containers))
	}
	return d, d.Template.Spec.Containers[0]
}

func TestKustomizationListsEveryManifest(t *testing.T) {
	m := loadManifests(t)
	k := m.one(t, "Kustomization", "")
	var want []string
	for _, f := range m.files {
		if f != k.file {
			want = append(want, f)
		}
	}
	got := slices.Clone(k.Resources)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources = %v, want every manifest: %v", got, want)
	}
}

// podRoot lays the pod's volumes out under a temporary folder as the kubelet
// mounts them (a ConfigMap's keys as files, an emptyDir as an empty folder)
// and returns a function that moves a path in the container into it.
func podRoot(t *testing.T, m *manifests, pod podSpec, c container) func(string) string {
	t.Helper()
	root := t.TempDir()
	mounts := map[string]string{} // mount path -> volume
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(pod.Volumes, func(v volume) bool { return v.Name == vm.Name })
		if i < 0 {
			t.Fatalf("volume mount %s names no volume", vm.Name)
		}
		v, dir := pod.Volumes[i], filepath.Join(root, vm.MountPath)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if v.ConfigMap != nil {
			for key, data := range m.one(t, "ConfigMap", v.ConfigMap.Name).Data {
				if err := os.WriteFile(filepath.Join(dir, key), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		mounts[vm.MountPath] = vm.Name
	}
	paths := make([]string, 0, len(mounts))
	for p := range mounts {
		paths = append(paths, p)
	}
	// Longest first, so a mount inside another one wins; one pass, so a
	// moved path is not moved again (the root itself may be under /tmp). A
	// mount path counts only as a whole path or a path's leading part.
	sort.Slice(paths, func(i, j int) bool { return len(paths[i]) > len(paths[j]) })
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = regexp.QuoteMeta(p)
	}
	re := regexp.MustCompile(`(^|[\s"'\[,:=])(` + strings.Join(quoted, "|") + `)(/|["'\],]|\s|$)`)
	return func(s string) string {
		return re.ReplaceAllStringFunc(s, func(m string) string {
			sub := re.FindStringSubmatch(m)
			return sub[1] + filepath.Join(root, sub[2]) + sub[3]
		})
	}
}

// secretEnv gives every variable the container takes from a Secret a fresh
// valid value: 32-byte keys for *_KEYS, a random string otherwise. It checks
// that each reference names a key of the Secret in the folder.
func secretEnv(t *testing.T, m *manifests, c container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		ref := e.ValueFrom.SecretKeyRef
		if ref == nil {
			continue
		}
		if _, ok := m.one(t, "Secret", ref.Name).StringData[ref.Key]; !ok {
			t.Errorf("env %s refers to key %q, which Secret %s lacks", e.Name, ref.Key, ref.Name)
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		env[e.Name] = base64.StdEncoding.EncodeToString(b)
	}
	return env
}

// TestTheBrokerAcceptsTheDeployment runs the real secds-broker with the
// container's arguments and environment, on the pod's volumes laid out
// locally, in --check mode, for both variants: the flags exist, the config
// file is where the arguments say, it loads (secrets from the variables the
// pod sets) and the mapping it names (the seed, with the shared store) is
// valid. --check reads no table.
func TestTheBrokerAcceptsTheDeployment(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "secds-broker")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build the broker: %v", err)
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/secds/secds/cmd/secds-broker").CombinedOutput(); err != nil {
		t.Fatalf("build secds-broker: %v\n%s", err, out)
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) { checkBrokerAccepts(t, v.load(t), bin) })
	}
}

func checkBrokerAccepts(t *testing.T, m *manifests, bin string) {
	d, c := brokerPod(t, m)
	inPod := podRoot(t, m, d.Template.Spec, c)
	if len(c.Command) != 0 {
		t.Errorf("command = %v; the image's entrypoint is the broker, give only args", c.Command)
	}
	if len(c.Args) != 2 || c.Args[0] != "--config" {
		t.Fatalf("args = %q, want [--config FILE]", c.Args)
	}
	cfgPath := inPod(c.Args[1])
	raw, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatalf("--config %s is not on a mounted volume: %v", c.Args[1], err)
	}
	if err := os.WriteFile(cfgPath, []byte(inPod(string(raw))), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(slices.Clone(c.Args[:1]), cfgPath, "--check")...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range secretEnv(t, m, c) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secds-broker %s --check: %v\n%s", strings.Join(c.Args, " "), err, out)
	}

	t.Run("the configuration", func(t *testing.T) {
		for k, v := range secretEnv(t, m, c) {
			t.Setenv(k, v)
		}
		cfg, err := config.Load(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		checkPorts(t, m, d, c, cfg)
		checkSecrets(t, c, cfg)
		checkMapping(t, d.Template.Spec, c, cfg, inPod)
	})
}

// checkPorts: the broker listens on the container port, on every interface
// (a pod's loopback is unreachable from the Service), and the probes and
// the Service reach that port. The metrics listener has a port of its own,
// also on every interface (Prometheus scrapes the pod's address), named by
// the scrape annotations and never routed by the Service.
func checkPorts(t *testing.T, m *manifests, d deploymentSpec, c container, cfg *config.Config) {
	port := allInterfaces(t, "listen", cfg.Listen)
	named := map[string]int{}
	for _, p := range c.Ports {
		named[p.Name] = p.ContainerPort
	}
	if len(c.Ports) != 2 || strconv.Itoa(named["http"]) != port {
		t.Errorf("container ports = %+v, want http %s (listen %q) and metrics", c.Ports, port, cfg.Listen)
	}
	for name, p := range map[string]*probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", name)
			continue
		}
		if got := portOf(c, p.HTTPGet.Port); strconv.Itoa(got) != port {
			t.Errorf("%s probe port %q is not the broker's port %s", name, p.HTTPGet.Port.Value, port)
		}
	}
	svc := decodeSpec[serviceSpec](t, m.one(t, "Service", "secds-broker"))
	for _, p := range svc.Ports {
		if got := portOf(c, p.TargetPort); strconv.Itoa(got) != port {
			t.Errorf("Service targetPort %q is not the broker's port %s", p.TargetPort.Value, port)
		}
	}

	if cfg.MetricsAddr == "" {
		t.Fatal("metrics.listen is off: Prometheus has nothing to scrape")
	}
	mport := allInterfaces(t, "metrics.listen", cfg.MetricsAddr)
	if strconv.Itoa(named["metrics"]) != mport {
		t.Errorf("container port metrics = %d, want %s (metrics.listen %q)", named["metrics"], mport, cfg.MetricsAddr)
	}
	ann := d.Template.Metadata.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/port"] != mport || ann["prometheus.io/path"] != "/metrics" {
		t.Errorf("pod annotations %v: want a Prometheus scrape of /metrics on port %s", ann, mport)
	}
}

// allInterfaces returns addr's port, and fails unless addr listens on every
// interface (a pod's loopback is reachable from nowhere else).
func allInterfaces(t *testing.T, field, addr string) string {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%s %q: %v", field, addr, err)
	}
	if host != "" {
		t.Errorf("%s = %q: the pod must listen on all interfaces (\":%s\")", field, addr, port)
	}
	return port
}

// checkSecrets: the variables the pod sets are the ones the configuration
// reads, and the defaults the broker documents.
func checkSecrets(t *testing.T, c container, cfg *config.Config) {
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		if e.ValueFrom.SecretKeyRef != nil {
			fromSecret[e.Name] = true
		} else if strings.Contains(strings.ToUpper(e.Name), "SECRET") || strings.HasSuffix(e.Name, "_KEYS") {
			t.Errorf("env %s holds a secret as a plain value; take it from the Secret", e.Name)
		}
	}
	for _, want := range []struct{ got, def string }{
		{cfg.OIDC.ClientSecretEnv, config.DefaultClientSecretEnv},
		{cfg.Session.KeysEnv, config.DefaultSessionKeysEnv},
		{cfg.Tokens.KeysEnv, config.DefaultTokenKeysEnv},
	} {
		if want.got != want.def {
			t.Errorf("the config reads %s; the manifests follow the default %s", want.got, want.def)
		}
		if !fromSecret[want.def] {
			t.Errorf("the pod does not set %s from the Secret", want.def)
		}
	}
	if cfg.OIDC.ClientSecretFile != "" || cfg.Session.KeysFile != "" || cfg.Tokens.KeysFile != "" {
		t.Errorf("the config names secret files; the pod passes secrets in the environment")
	}
	if len(cfg.TokenKeys) == 0 {
		t.Errorf("no CLI token keys: secds login would not work")
	}
}

// checkMapping: the mapping is mounted as a directory (a subPath mount never
// sees ConfigMap updates, so hot reload would be dead) and is valid. With
// the file store its history goes to a writable volume; with the shared
// store the mapping file is only the seed and the history is the table's.
func checkMapping(t *testing.T, pod podSpec, c container, cfg *config.Config, inPod func(string) string) {
	mount := mountFor(c, cfg.MappingFile, inPod)
	if mount == nil {
		t.Fatalf("mapping_file %s is on no volume", cfg.MappingFile)
	}
	if mount.SubPath != "" {
		t.Errorf("the mapping is mounted with subPath %q: ConfigMap updates would never reach it", mount.SubPath)
	}
	if v := volumeNamed(pod, mount.Name); v == nil || v.ConfigMap == nil {
		t.Errorf("the mapping's volume %s is not a ConfigMap", mount.Name)
	}
	data, err := os.ReadFile(cfg.MappingFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := abac.Parse("configmap-mapping.yaml:teams.yaml", data); err != nil {
		t.Errorf("the mapping ConfigMap does not parse:\n%v", err)
	}
	if cfg.MappingStore.Shared() {
		if cfg.MappingStore.Type != config.StoreDynamoDB || cfg.MappingStore.Table == "" || cfg.MappingHistoryDir != "" {
			t.Errorf("shared store %+v, mapping_history_dir %q: want a DynamoDB table and no history directory", cfg.MappingStore, cfg.MappingHistoryDir)
		}
		return
	}
	if cfg.MappingHistoryDir == "" {
		t.Errorf("mapping_history_dir is unset: it would go beside the read-only mapping")
	} else if hm := mountFor(c, cfg.MappingHistoryDir+"/x", inPod); hm == nil || hm.ReadOnly || volumeNamed(pod, hm.Name).EmptyDir == nil {
		t.Errorf("mapping_history_dir %s is not on a writable emptyDir", cfg.MappingHistoryDir)
	}
}

// mountFor is the volume mount a (laid-out) path lies on.
func mountFor(c container, path string, inPod func(string) string) *struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
	SubPath   string `yaml:"subPath"`
	ReadOnly  bool   `yaml:"readOnly"`
} {
	for i, vm := range c.VolumeMounts {
		if strings.HasPrefix(path, inPod(vm.MountPath+"/")) {
			return &c.VolumeMounts[i]
		}
	}
	return nil
}

func volumeNamed(pod podSpec, name string) *volume {
	for i := range pod.Volumes {
		if pod.Volumes[i].Name == name {
			return &pod.Volumes[i]
		}
	}
	return nil
}

// TestProbePathsAreBrokerRoutes asks a running broker (the dev stack) for
// the probes' paths.
func TestProbePathsAreBrokerRoutes(t *testing.T) {
	m := loadManifests(t)
	_, c := brokerPod(t, m)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := devstack.Start(ctx, devstack.Options{Addr: "127.0.0.1:0", AuditOut: io.Discard, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for name, p := range map[string]*probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", name)
			continue
		}
		resp, err := client.Get(st.BrokerURL + p.HTTPGet.Path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s probe GET %s = %d, want 200 from a healthy broker", name, p.HTTPGet.Path, resp.StatusCode)
		}
	}
	if c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %s: use /healthz, which does not depend on the identity provider (a provider outage must not restart every pod)", c.LivenessProbe.HTTPGet.Path)
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %s, want /readyz", c.ReadinessProbe.HTTPGet.Path)
	}
}

func TestThePodIsHardened(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) { checkHardened(t, v.load(t)) })
	}
}

func checkHardened(t *testing.T, m *manifests) {
	d, c := brokerPod(t, m)
	pod := d.Template.Spec
	isTrue := func(b *bool) bool { return b != nil && *b }
	if !isTrue(pod.SecurityContext.RunAsNonRoot) || !isTrue(c.SecurityContext.RunAsNonRoot) {
		t.Errorf("runAsNonRoot must be true for the pod and the container")
	}
	for _, u := range []*int{pod.SecurityContext.RunAsUser, c.SecurityContext.RunAsUser} {
		if u != nil && *u == 0 {
			t.Errorf("runAsUser 0 is root")
		}
	}
	if !isTrue(c.SecurityContext.ReadOnlyRootFilesystem) {
		t.Errorf("readOnlyRootFilesystem must be true")
	}
	if c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("allowPrivilegeEscalation must be false")
	}
	if !slices.Contains(c.SecurityContext.Capabilities.Drop, "ALL") {
		t.Errorf("capabilities must drop ALL")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("automountServiceAccountToken must be false: the broker does not use the Kubernetes API")
	}
	for _, r := range []string{"cpu", "memory"} {
		if c.Resources.Requests[r] == "" || c.Resources.Limits[r] == "" {
			t.Errorf("%s needs a request and a limit", r)
		}
	}
	if !strings.Contains(c.Image, "secds-broker") {
		t.Errorf("image %q is not secds-broker", c.Image)
	}
}

var roleARN = regexp.MustCompile(`^arn:aws:iam::\d{12}:role/[\w+=,.@/-]+$`)

func TestReplicasIdentityAndDisruptionBudget(t *testing.T) {
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) { checkReplicasAndIdentity(t, v.load(t)) })
	}
}

func checkReplicasAndIdentity(t *testing.T, m *manifests) {
	d, _ := brokerPod(t, m)
	if d.Replicas < 2 {
		t.Errorf("replicas = %d, want at least 2", d.Replicas)
	}
	labels := d.Template.Metadata.Labels
	matches := func(sel map[string]string) bool {
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if !matches(d.Selector.MatchLabels) {
		t.Errorf("the Deployment's selector %v does not match its pods %v", d.Selector.MatchLabels, labels)
	}
	if svc := decodeSpec[serviceSpec](t, m.one(t, "Service", "secds-broker")); !matches(svc.Selector) {
		t.Errorf("the Service's selector %v does not match the pods %v", svc.Selector, labels)
	}
	pdb := decodeSpec[pdbSpec](t, m.one(t, "PodDisruptionBudget", "secds-broker"))
	if !matches(pdb.Selector.MatchLabels) {
		t.Errorf("the budget's selector %v does not match the pods %v", pdb.Selector.MatchLabels, labels)
	}
	if pdb.MinAvailable == nil || *pdb.MinAvailable < 1 || *pdb.MinAvailable >= d.Replicas {
		t.Errorf("minAvailable should keep one pod up and still let a node drain (1..%d)", d.Replicas-1)
	}

	sa := m.one(t, "ServiceAccount", d.Template.Spec.ServiceAccountName)
	if arn := sa.Metadata.Annotations["eks.amazonaws.com/role-arn"]; !roleARN.MatchString(arn) {
		t.Errorf("ServiceAccount %s: eks.amazonaws.com/role-arn = %q, want an IAM role ARN (IRSA)", sa.Metadata.Name, arn)
	}
}

func TestPlaceholderKeysAreRefused(t *testing.T) {
	m := loadManifests(t)
	for key, v := range m.one(t, "Secret", "secds-broker-secrets").StringData {
		if strings.HasSuffix(key, "-keys") {
			if _, err := config.ParseKeys(v); err == nil {
				t.Errorf("the placeholder %s in secret.yaml is a usable key; it must be refused so nobody runs with it", key)
			}
		}
	}
}
