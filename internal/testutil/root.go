package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// ModuleRoot is the directory of secds's go.mod, found by walking up from
// the working directory (go test runs in the package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/secds/secds\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the secds module root (go.mod) is not above the working directory")
		}
		dir = parent
	}
}
