package compose

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/secds/secds/internal/codestore"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/revocation"
	"github.com/secds/secds/server"
)

// RevocationsFile is the name of the token revocations file in the
// mapping's state (history) directory, which every replica shares.
const RevocationsFile = "revocations.json"

// openRevocations returns where CLI token revocations are kept: the
// options' store, else a file beside the mapping's history, so that the
// replicas that share the mapping share the revocations. A fixed mapping
// has no such directory: no revocations.
func openRevocations(cfg *config.Config, opts Options) (server.Revocations, error) {
	if opts.Revocations != nil {
		return opts.Revocations, nil
	}
	if opts.Mapping != nil || opts.MappingStore != nil || cfg.MappingFile == "" || cfg.MappingStore.Shared() {
		return nil, nil
	}
	// A cutoff older than the longest token (plus clock leeway) refuses
	// nothing any more.
	f, err := revocation.OpenFile(filepath.Join(cfg.MappingHistoryDir, RevocationsFile), revocation.FileOptions{MaxAge: cfg.Tokens.TTL + time.Minute, Now: opts.Now})
	if err != nil {
		return nil, fmt.Errorf("open token revocations: %w", err)
	}
	return f, nil
}

// CodesDir is the directory of pending CLI user codes in the mapping's state
// (history) directory.
const CodesDir = "cli-codes"

// openCodeDir returns where a file-store broker keeps the CLI's short user
// codes and spent login codes: a directory beside the mapping's history, so
// that replicas sharing the state directory share them; nil (each replica's
// memory) with a fixed mapping or where the directory cannot be made.
func openCodeDir(cfg *config.Config, opts Options) *codestore.Dir {
	if opts.Mapping != nil || opts.MappingStore != nil || cfg.MappingHistoryDir == "" {
		return nil
	}
	d, err := codestore.Open(filepath.Join(cfg.MappingHistoryDir, CodesDir), opts.Now)
	if err != nil {
		opts.Log.Warn("CLI sign-in codes are kept in memory: a short code works only on the replica that showed it, and a code is single-use per replica", "err", err)
		return nil
	}
	return d
}
