//go:build !unix

package mapstore

import (
	"fmt"
	"io/fs"
	"os"
)

// openNoFollow opens path read-only. Without O_NOFOLLOW, checkOpened's
// comparison with the Lstat result is what catches a swapped-in link.
func openNoFollow(path, what string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", what, path, err)
	}
	return f, nil
}

// ownerOf is unknown here: file modes carry no owner.
func ownerOf(fs.FileInfo) (int, bool) { return 0, false }
