package devstack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secds/secds/configs"
)

// seedMapping puts the editable team mapping in dir (a new temporary
// directory when dir is empty), seeded with the demo mapping unless one is
// there already, so admins can try editing in --dev. It returns what removes
// the temporary directory when the stack stops.
func (st *Stack) seedMapping(dir string) (remove func(), err error) {
	remove = func() {}
	if dir == "" {
		if dir, err = os.MkdirTemp("", "secds-dev-mapping-*"); err != nil {
			return nil, fmt.Errorf("dev stack: mapping directory: %w", err)
		}
		tmp := dir
		remove = func() { _ = os.RemoveAll(tmp) }
	}
	st.MappingFile = filepath.Join(dir, "teams.yaml")
	if _, err := os.Stat(st.MappingFile); errors.Is(err, fs.ErrNotExist) {
		if err := os.WriteFile(st.MappingFile, configs.DevTeams, 0o644); err != nil {
			remove()
			return nil, fmt.Errorf("dev stack: seed the mapping: %w", err)
		}
	}
	return remove, nil
}
