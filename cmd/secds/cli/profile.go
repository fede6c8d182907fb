package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"gopkg.in/yaml.v3"
)

// Profile is one configured broker, as its discovery document described it.
type Profile struct {
	Name          string `yaml:"-"`
	Broker        string `yaml:"broker"`
	CLILoginPath  string `yaml:"cli_login_path"`
	TokenEndpoint string `yaml:"token_endpoint"`
	APIBase       string `yaml:"api_base"`
	Version       string `yaml:"broker_version,omitempty"`
	// CAFile, when set, is the PEM file of the CAs this profile trusts for
	// its broker, instead of the system's (secds configure --ca-file).
	CAFile string `yaml:"ca_file,omitempty"`
}

// configFile is the CLI's config file: profiles by name.
type configFile struct {
	Profiles map[string]*Profile `yaml:"profiles"`
}

// DefaultProfile is the profile used without --profile or SECDS_PROFILE.
const DefaultProfile = "default"

var profileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func checkProfileName(name string) error {
	if !profileNameRE.MatchString(name) {
		return Exitf(ExitUsage, "profile name %q is not valid: use 1–64 letters, digits, '.', '_' or '-'", name)
	}
	return nil
}

func (a *App) configPath() (string, error) {
	dir, err := a.env.userDir(false)
	if err != nil {
		return "", Exitf(ExitFailure, "find the config directory: %v; set HOME or XDG_CONFIG_HOME", err)
	}
	return filepath.Join(dir, "config.yaml"), nil
}

func (a *App) readConfig() (*configFile, string, error) {
	path, err := a.configPath()
	if err != nil {
		return nil, "", err
	}
	cf := &configFile{Profiles: map[string]*Profile{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cf, path, nil
	}
	if err != nil {
		return nil, "", Exitf(ExitFailure, "read %s: %v", path, err)
	}
	if err := yaml.Unmarshal(data, cf); err != nil {
		return nil, "", Exitf(ExitFailure, "%s is not valid YAML (%v); fix it, or delete it and run secds configure again", path, err)
	}
	if cf.Profiles == nil {
		cf.Profiles = map[string]*Profile{}
	}
	for name, p := range cf.Profiles {
		if p == nil {
			delete(cf.Profiles, name)
			continue
		}
		p.Name = name
	}
	return cf, path, nil
}

func (a *App) writeConfig(cf *configFile, path string) error {
	data, err := yaml.Marshal(cf)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	data = append([]byte("# secds CLI profiles; written by `secds configure`.\n"), data...)
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return Exitf(ExitFailure, "save %s: %v; check that the directory is writable", path, err)
	}
	return nil
}

// profile returns the selected profile, or a usage error naming the fix.
func (a *App) profile() (*Profile, error) {
	if err := a.ensure(); err != nil {
		return nil, err
	}
	cf, path, err := a.readConfig()
	if err != nil {
		return nil, err
	}
	if p := cf.Profiles[a.profileName]; p != nil && p.Broker != "" {
		return p, nil
	}
	hint := ""
	if len(cf.Profiles) > 0 {
		names := make([]string, 0, len(cf.Profiles))
		for n := range cf.Profiles {
			names = append(names, n)
		}
		sort.Strings(names)
		hint = fmt.Sprintf(" (configured in %s: %v; choose one with --profile)", path, names)
	}
	return nil, Exitf(ExitUsage, "no broker is configured for profile %q%s. Run: secds configure --broker https://YOUR-BROKER%s",
		a.profileName, hint, a.profileFlag())
}

// hasBroker reports whether the selected profile names a broker, for the
// commands that work without one.
func (a *App) hasBroker() (bool, error) {
	if err := a.ensure(); err != nil {
		return false, err
	}
	cf, _, err := a.readConfig()
	if err != nil {
		return false, err
	}
	p := cf.Profiles[a.profileName]
	return p != nil && p.Broker != "", nil
}

// profileFlag repeats --profile in suggested commands when it is not the
// default.
func (a *App) profileFlag() string {
	if a.profileName == DefaultProfile {
		return ""
	}
	return " --profile " + a.profileName
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory (created with perm), so a reader never sees half a file and the
// content is never readable with wider permissions.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
