package mapstore

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// history is the numbered record beside a mapping file: for version N,
// 000N.yaml holds the exact content and 000N.json its Entry. When the
// directory cannot be written (a read-only ConfigMap mount) the record is
// kept in memory instead and lasts as long as the process.
type history struct {
	dir     string
	ext     string // the content files' extension, the mapping file's own
	persist bool
	entries []Entry          // oldest first
	mem     map[int64][]byte // content, when !persist
	log     *slog.Logger
}

func openHistory(dir, ext string, log *slog.Logger) (*history, error) {
	h := &history{dir: dir, ext: ext, persist: true, mem: map[int64][]byte{}, log: log}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		if !readOnly(err) {
			return nil, fmt.Errorf("create mapping history %s: %w", dir, err)
		}
		log.Warn("mapping history directory cannot be written; history is kept in memory only", "dir", dir, "err", err)
		h.persist = false
		return h, nil
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read mapping history %s: %w", dir, err)
	}
	for _, de := range des {
		num, ok := strings.CutSuffix(de.Name(), ".json")
		n, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || n < 1 {
			continue
		}
		var e Entry
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err == nil {
			err = json.Unmarshal(b, &e)
		}
		if err != nil || e.Number != n {
			// One damaged record must not stop the broker; its number
			// stays taken so versions keep growing.
			log.Warn("skipping a damaged mapping history record", "file", de.Name(), "err", err)
			e = Entry{Version: Version{Number: n}, Reason: "damaged history record"}
		}
		h.entries = append(h.entries, e)
	}
	slices.SortFunc(h.entries, func(a, b Entry) int { return cmp.Compare(a.Number, b.Number) })
	return h, nil
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
	h.entries = append(h.entries, r.Entry)
	if !h.persist {
		h.mem[r.Number] = r.Content
		return nil
	}
	meta, err := json.MarshalIndent(r.Entry, "", "  ")
	if err != nil {
		return fmt.Errorf("encode history entry %d: %w", r.Number, err)
	}
	// Content first: a record whose metadata exists always has content.
	if err := writeAtomic(h.name(r.Number, h.ext), r.Content, 0o644); err != nil {
		return fmt.Errorf("history entry %d: %w", r.Number, err)
	}
	if err := writeAtomic(h.name(r.Number, ".json"), append(meta, '\n'), 0o644); err != nil {
		return fmt.Errorf("history entry %d: %w", r.Number, err)
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
	b, err := os.ReadFile(h.name(n, h.ext))
	if os.IsNotExist(err) {
		return nil, ErrNotFound
	}
	return b, err
}
