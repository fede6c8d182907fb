//go:build unix

package mapstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens path read-only without following a symlink at its last
// element (one swapped in since the Lstat fails with ELOOP) and without
// blocking on a fifo swapped in (O_NONBLOCK; the fstat that follows
// refuses it).
func openNoFollow(path, what string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		target, _ := os.Readlink(path)
		return nil, &NotRegularError{Path: path, Kind: "symlink", Target: target, What: what}
	}
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", what, path, err)
	}
	return f, nil
}

// ownerOf is the user id owning fi, and whether it is known.
func ownerOf(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}
