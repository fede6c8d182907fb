package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// lockLogin takes the profile's login lock, so that two secds processes that
// both find no token (two `secds open` at once) do not both start a login:
// the second waits, then finds the first one's token.
func (a *App) lockLogin(ctx context.Context, profile string) (unlock func(), err error) {
	path := filepath.Join(filepath.Dir(a.store.dir), profile+".lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, Exitf(ExitFailure, "create %s: %v; check that the cache directory is writable", filepath.Dir(path), err)
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	locked, err := l.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil || !locked {
		if ctx.Err() != nil {
			return nil, Exitf(ExitAuth, "cancelled while waiting for another secds login to finish")
		}
		return nil, Exitf(ExitFailure, "lock %s: %v; if no other secds is running, delete that file", path, err)
	}
	return func() {
		if err := l.Unlock(); err != nil {
			fmt.Fprintf(a.env.Stderr, "secds: release %s: %v\n", path, err)
		}
	}, nil
}
