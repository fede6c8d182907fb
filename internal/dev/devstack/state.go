package devstack

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secds/secds/configs"
)

// keysFile, in the state directory, holds the broker's session and token
// keys, so browser sessions and CLI tokens outlive a restart of the stack.
const keysFile = "keys.json"

type stateKeys struct {
	SessionKeys string `json:"session_keys"`
	TokenKeys   string `json:"token_keys"`
}

// prepareState makes the stack's state directory (a new temporary one
// when dir is empty): the editable team mapping, seeded with the demo
// mapping unless one is there already, its history beside it, and the
// broker's keys. It returns what removes a temporary directory when the
// stack stops.
func (st *Stack) prepareState(dir string) (keys stateKeys, remove func(), err error) {
	remove = func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "secds-dev-*"); err != nil {
			return keys, nil, fmt.Errorf("dev stack: state directory: %w", err)
		}
		tmp := dir
		remove = func() { _ = os.RemoveAll(tmp) }
	} else {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return keys, nil, fmt.Errorf("dev stack: state directory: %w", err)
		}
		st.Kept = true
	}
	st.StateDir = dir
	st.MappingFile = filepath.Join(dir, "teams.yaml")
	if _, err := os.Stat(st.MappingFile); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(st.MappingFile, configs.DevTeams, 0o644); err != nil {
			remove()
			return keys, nil, fmt.Errorf("dev stack: seed the mapping: %w", err)
		}
	}
	if keys, err = loadKeys(filepath.Join(dir, keysFile)); err != nil {
		remove()
		return keys, nil, err
	}
	return keys, remove, nil
}

// loadKeys reads the keys file, or makes new keys and writes it (0600).
func loadKeys(path string) (stateKeys, error) {
	var k stateKeys
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k = stateKeys{SessionKeys: random(), TokenKeys: random()}
		data, _ = json.Marshal(k)
		if err := writeFile0600(path, data); err != nil {
			return k, fmt.Errorf("dev stack: keys: %w", err)
		}
		return k, nil
	case err != nil:
		return k, fmt.Errorf("dev stack: keys: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return k, fmt.Errorf("dev stack: keys file %s is open to others (mode %o): chmod 600 it, or start with --fresh", path, fi.Mode().Perm())
	}
	if err := json.Unmarshal(data, &k); err != nil || k.SessionKeys == "" || k.TokenKeys == "" {
		return k, fmt.Errorf("dev stack: keys file %s is damaged: remove it, or start with --fresh", path)
	}
	return k, nil
}

// writeFile0600 writes a new file only its owner can read, whatever the
// umask.
func writeFile0600(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
