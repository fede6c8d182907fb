package mapstore

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// history is the numbered record beside a mapping file: for version N,
// 000N.yaml holds the exact content and 000N.json its Entry with a MAC. When
// the directory cannot be written (a read-only ConfigMap mount) the record is
// kept in memory instead and lasts as long as the process.
//
// The directory is the broker's own (mode 0700, its files 0600): the content
// is the mapping, which may be private, and a record anyone else could
// write is one the broker could be talked into rolling back to. The MAC is
// what makes a record trusted after a restart, not the directory alone.
type history struct {
	dir     string
	ext     string // the content files' extension, the mapping file's own
	persist bool
	mac     *historyMAC
	entries []Entry          // oldest first
	mem     map[int64][]byte // content, when !persist
	log     *slog.Logger
}

// record is an entry as the history stores it.
type record struct {
	Entry
	MAC string `json:"mac,omitempty"`
}

func openHistory(dir, ext string, mac *historyMAC, log *slog.Logger) (*history, error) {
	h := &history{dir: dir, ext: ext, persist: true, mac: mac, mem: map[int64][]byte{}, log: log}
	if err := ownDir(dir, log); err != nil {
		if !readOnly(err) {
			return nil, err
		}
		log.Warn("mapping history directory cannot be written; history is kept in memory only", "dir", dir, "err", err)
		h.persist = false
		return h, nil
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read mapping history %s: %w", dir, err)
	}
	tightened, unsigned := 0, 0
	for _, de := range des {
		if t, err := tighten(filepath.Join(dir, de.Name()), de); err != nil {
			return nil, err
		} else if t {
			tightened++
		}
		num, ok := strings.CutSuffix(de.Name(), ".json")
		n, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || n < 1 {
			continue
		}
		e := h.load(de.Name(), n)
		if e.Unverified == UnverifiedUnsigned {
			unsigned++
		}
		h.entries = append(h.entries, e)
	}
	if tightened > 0 {
		log.Warn("mapping history files were readable by others; made them 0600", "dir", dir, "files", tightened)
	}
	if unsigned > 0 {
		log.Warn("mapping history versions without a MAC (written before records were authenticated) are listed but cannot be rolled back to", "dir", dir, "versions", unsigned)
	}
	slices.SortFunc(h.entries, func(a, b Entry) int { return cmp.Compare(a.Number, b.Number) })
	return h, nil
}

// load reads record n and checks its MAC. A record that does not verify is
// kept, marked, so its number stays taken and versions keep growing; one
// damaged record must not stop the broker.
func (h *history) load(name string, n int64) Entry {
	var r record
	b, _, err := readRegular(filepath.Join(h.dir, name), "mapping history record", false)
	if err == nil {
		err = json.Unmarshal(b, &r)
	}
	if err == nil && r.Number != n {
		err = fmt.Errorf("it says version %d", r.Number)
	}
	if err != nil {
		h.log.Error("mapping history record cannot be read; it cannot be rolled back to", "file", name, "err", err)
		return Entry{Version: Version{Number: n}, Reason: "damaged history record", Unverified: UnverifiedDamaged}
	}
	r.Unverified = ""
	why, resign := h.mac.verify(r.Entry, r.MAC)
	switch {
	case why == UnverifiedBadMAC:
		h.log.Error("MAPPING HISTORY RECORD FAILS AUTHENTICATION: it was changed outside the broker, or signed with a session key no longer configured; it cannot be rolled back to",
			"file", name, "version", n)
	case resign:
		// Signed with an older session key: sign it again with the first,
		// so it stays trusted once the old key is dropped.
		if err := h.writeMeta(r.Entry); err != nil {
			h.log.Warn("mapping history record not re-signed with the current key", "version", n, "err", err)
		}
	}
	r.Unverified = why
	return r.Entry
}

// ownDir makes sure dir is a directory of the broker's own that nobody else
// can read or write: created 0700, or tightened to 0700 if the broker owns
// it; a looser one owned by someone else is refused, since the broker
// cannot make it private.
func ownDir(dir string, log *slog.Logger) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create mapping history %s: %w", dir, err)
		}
		fi, err = os.Lstat(dir)
	}
	if err != nil {
		return fmt.Errorf("mapping history %s: %w", dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(dir)
		return fmt.Errorf("mapping history %s is a symlink (to %s): point mapping_history_dir at the directory itself", dir, target)
	}
	if !fi.IsDir() {
		return fmt.Errorf("mapping history %s is a %s, not a directory", dir, fileKind(fi.Mode()))
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	uid, known := ownerOf(fi)
	if known && uid != os.Geteuid() {
		return fmt.Errorf("mapping history %s has mode %04o and belongs to uid %d, not to this broker (uid %d): others could read or change it. Make it the broker's with mode 0700, or point mapping_history_dir at a directory inside it for the broker to create",
			dir, fi.Mode().Perm(), uid, os.Geteuid())
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("mapping history %s has mode %04o; making it 0700: %w", dir, fi.Mode().Perm(), err)
	}
	log.Warn("mapping history directory was open to others; made it 0700", "dir", dir, "was", fmt.Sprintf("%04o", fi.Mode().Perm()))
	return nil
}

// tighten makes a history file the broker's alone (0600), reporting whether
// it had to. Files written before history was private were 0644.
func tighten(path string, de fs.DirEntry) (bool, error) {
	if !de.Type().IsRegular() {
		return false, nil // not a record; load refuses one that claims to be
	}
	fi, err := de.Info()
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return false, nil
	}
	if uid, known := ownerOf(fi); known && uid != os.Geteuid() {
		return false, nil // its content is not ours to protect; its MAC decides
	}
	if err := os.Chmod(path, fi.Mode().Perm()&0o600); err != nil {
		return false, fmt.Errorf("mapping history file %s has mode %04o; making it 0600: %w", path, fi.Mode().Perm(), err)
	}
	return true, nil
}

func (h *history) last() (Entry, bool) {
	if len(h.entries) == 0 {
		return Entry{}, false
	}
	return h.entries[len(h.entries)-1], true
}

func (h *history) name(n int64, ext string) string {
	return filepath.Join(h.dir, fmt.Sprintf("%06d%s", n, ext))
}

// add records a revision. The entry is kept even when writing it fails, so
// the running store stays consistent; the error says the disk copy is short.
func (h *history) add(r Revision) error {
	r.Unverified = ""
	h.entries = append(h.entries, r.Entry)
	if !h.persist {
		h.mem[r.Number] = r.Content
		return nil
	}
	// Content first: a record whose metadata exists always has content.
	if err := writeAtomic(h.name(r.Number, h.ext), r.Content, 0o600); err != nil {
		return fmt.Errorf("history entry %d: %w", r.Number, err)
	}
	return h.writeMeta(r.Entry)
}

func (h *history) writeMeta(e Entry) error {
	meta, err := json.MarshalIndent(record{Entry: e, MAC: h.mac.sign(e)}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode history entry %d: %w", e.Number, err)
	}
	if err := writeAtomic(h.name(e.Number, ".json"), append(meta, '\n'), 0o600); err != nil {
		return fmt.Errorf("history entry %d: %w", e.Number, err)
	}
	return nil
}

func (h *history) entry(n int64) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(h.entries, n, func(e Entry, n int64) int { return cmp.Compare(e.Number, n) })
	if !ok {
		return Entry{}, false
	}
	return h.entries[i], true
}

func (h *history) content(n int64) ([]byte, error) {
	if !h.persist {
		b, ok := h.mem[n]
		if !ok {
			return nil, ErrNotFound
		}
		return b, nil
	}
	b, _, err := readRegular(h.name(n, h.ext), "mapping history file", false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}
