package mapstore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// NotRegularError is a mapping or history path that is not a regular file.
// The broker reads with more rights than whoever can write the mapping's
// directory (its own key files, /proc/self/environ): following a symlink
// planted there would copy what it points at into the history and show it
// to admins, and a fifo would hang the read for ever.
type NotRegularError struct {
	Path   string
	Kind   string // "symlink", "named pipe (fifo)", "directory", ...
	Target string // a symlink's target, when known
	What   string // "mapping file", "mapping history record"
}

func (e *NotRegularError) Error() string {
	if e.Kind == "symlink" {
		return fmt.Sprintf("%s %s is a symlink (to %s): the broker reads only a regular file, or a Kubernetes ConfigMap mount's own ..data link; point the configuration at the file itself",
			e.What, e.Path, e.Target)
	}
	return fmt.Sprintf("%s %s is a %s, not a regular file", e.What, e.Path, e.Kind)
}

// fileKind names what a mode is, for errors.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsDir():
		return "directory"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (fifo)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// configMapData is the kubelet's name for a ConfigMap mount's current
// generation: teams.yaml → ..data/teams.yaml, ..data → ..<timestamp>.
const configMapData = "..data"

// configMapGeneration is a kubelet generation directory's name, as its
// AtomicWriter makes it: ..2006_01_02_15_04_05.<random digits>.
var configMapGeneration = regexp.MustCompile(`^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$`)

// opened is a file opened for reading, checked to be a regular file.
type opened struct {
	*os.File
	info fs.FileInfo // from fstat of the open file, not of the path
	// configMap is set when the path is a ConfigMap mount's symlink: its
	// content is read, but the broker never writes through it.
	configMap bool
}

// openRegular opens path for reading only when it is a regular file. It
// follows no symlink but a ConfigMap mount's own layout when configMap is
// true (see openConfigMap), and it checks the file it opened, not the path,
// so a file swapped in between the check and the open is caught.
func openRegular(path, what string, configMap bool) (*opened, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		if configMap && target == filepath.Join(configMapData, filepath.Base(path)) {
			return openConfigMap(path, what)
		}
		return nil, &NotRegularError{Path: path, Kind: "symlink", Target: target, What: what}
	}
	if !fi.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, Kind: fileKind(fi.Mode()), What: what}
	}
	f, err := openNoFollow(path, what)
	if err != nil {
		return nil, err
	}
	return checkOpened(f, fi, path, what)
}

// openConfigMap reads through the kubelet's layout and nothing else: the
// path links to ..data/<name>, ..data links to a generation directory in
// the same directory, and that directory holds <name> as a regular file.
// Anyone who can make that layout can write the directory, so can write
// the mapping itself: the exception lets nobody read a file they could not
// already replace. A symlink anywhere else, or a generation that is itself
// a link, is refused.
func openConfigMap(path, what string) (*opened, error) {
	dir, name := filepath.Dir(path), filepath.Base(path)
	gen, err := os.Readlink(filepath.Join(dir, configMapData))
	if err != nil || !configMapGeneration.MatchString(gen) {
		target, _ := os.Readlink(path)
		return nil, &NotRegularError{Path: path, Kind: "symlink", Target: target + " (" + configMapData + " is not a ConfigMap generation)", What: what}
	}
	genDir := filepath.Join(dir, gen)
	real := filepath.Join(genDir, name)
	fi, err := os.Lstat(real)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if !fi.Mode().IsRegular() {
		target, _ := os.Readlink(real)
		return nil, &NotRegularError{Path: real, Kind: fileKind(fi.Mode()), Target: target, What: what}
	}
	f, err := openNoFollow(real, what)
	if err != nil {
		return nil, err
	}
	o, err := checkOpened(f, fi, real, what)
	if err != nil {
		return nil, err
	}
	// The generation directory's name was checked, but not what it was when
	// the open walked through it: had it been a link for that moment, the
	// file opened is not the one the directory holds now.
	if gi, err := os.Lstat(genDir); err != nil || !gi.IsDir() {
		o.Close()
		return nil, fmt.Errorf("%s %s: the ConfigMap generation %s changed while it was read; try again", what, path, gen)
	}
	if now, err := os.Lstat(real); err != nil || !os.SameFile(now, o.info) {
		o.Close()
		return nil, fmt.Errorf("%s %s: the ConfigMap generation %s changed while it was read; try again", what, path, gen)
	}
	o.configMap = true
	return o, nil
}

// checkOpened makes sure the open file is the regular file that was checked.
func checkOpened(f *os.File, checked fs.FileInfo, path, what string) (*opened, error) {
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, Kind: fileKind(fi.Mode()), What: what}
	}
	if !os.SameFile(fi, checked) {
		f.Close()
		return nil, fmt.Errorf("%s %s was replaced while it was opened; try again", what, path)
	}
	return &opened{File: f, info: fi}, nil
}

// readRegular reads a file opened by openRegular and closes it.
func readRegular(path, what string, configMap bool) ([]byte, *opened, error) {
	f, err := openRegular(path, what, configMap)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s %s: %w", what, path, err)
	}
	return b, f, nil
}

// ReadMappingFile reads a mapping file by the rules the file store reads it
// with (a regular file, or a Kubernetes ConfigMap mount), for tools that
// check a mapping without opening a store.
func ReadMappingFile(path string) ([]byte, error) {
	b, _, err := readRegular(path, "mapping file", true)
	if err != nil {
		var nr *NotRegularError
		if errors.As(err, &nr) {
			return nil, err
		}
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	return b, nil
}
