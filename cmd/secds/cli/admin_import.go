package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/secds/secds/internal/api"
)

// mappingImportInput is secds admin mapping import's input.
type mappingImportInput struct {
	Dir            string
	SkipUnverified bool
	Newest         int // 0: every version
	DryRun         bool
}

func (a *App) mappingImportCmd() *cobra.Command {
	var in mappingImportInput
	cmd := &cobra.Command{
		Use:   "import HISTORY_DIR",
		Short: "Move a file store's mapping history into the shared store",
		Long: `Read the history directory a broker on the file store kept beside its mapping
(teams.yaml.history, or its mapping_history_dir) and send every version to
a broker on the shared store (mapping_store: dynamodb), which adds them on
top of its history in one write: each keeps its author, time and reason,
and what the brokers serve does not change (the current mapping is written
again on top when the history's newest version is not it).

The broker checks each record's MAC with its session keys, the keys the
file store signed them with; a record that does not authenticate stops the
import unless --skip-unverified leaves it out.`,
		Example: `  # where the old broker ran: its mapping_history_dir, by default the
  # mapping file's path plus .history
  secds admin mapping import --dry-run /etc/secds/teams.yaml.history
  secds admin mapping import /etc/secds/teams.yaml.history
  secds admin mapping import --newest 50 /etc/secds/teams.yaml.history`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: useCase(a, func(_ *cobra.Command, args []string) (mappingImportInput, error) {
			in.Dir = args[0]
			if in.Newest < 0 {
				return in, Exitf(ExitUsage, "--newest %d: give a positive number of versions", in.Newest)
			}
			return in, nil
		}, a.mappingImport),
	}
	f := cmd.Flags()
	f.BoolVar(&in.SkipUnverified, "skip-unverified", false, "leave out records that do not authenticate, instead of stopping")
	f.IntVar(&in.Newest, "newest", 0, "import only the newest N versions (one import holds at most 98 versions and 3 MiB)")
	f.BoolVar(&in.DryRun, "dry-run", false, "read the directory and say what would be sent, without sending it")
	return cmd
}

// mappingImport is secds admin mapping import.
func (a *App) mappingImport(ctx context.Context, in mappingImportInput) error {
	versions, problems, err := readHistoryDir(in.Dir)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(a.Stderr(), "warning: "+p)
	}
	if len(problems) > 0 && !in.SkipUnverified {
		return Exitf(ExitUsage, "%d records of %s cannot be read (above); nothing was sent. Fix them, or import with --skip-unverified to leave them out", len(problems), in.Dir)
	}
	if len(versions) == 0 {
		return Exitf(ExitUsage, "%s holds no mapping history records (NNNNNN.json beside NNNNNN.yaml)", in.Dir)
	}
	if in.Newest > 0 && len(versions) > in.Newest {
		fmt.Fprintf(a.Stderr(), "Leaving out the %d oldest versions (--newest %d).\n", len(versions)-in.Newest, in.Newest)
		versions = versions[len(versions)-in.Newest:]
	}
	fmt.Fprintf(a.Stderr(), "Read versions %d to %d (%d records) from %s.\n", versions[0].Version, versions[len(versions)-1].Version, len(versions), in.Dir)
	if in.DryRun {
		return nil
	}
	cur, err := admin{a}.mapping(ctx)
	if err != nil {
		return err
	}
	var res api.ImportResponse
	err = a.Do(ctx, http.MethodPost, "/admin/mapping/import", api.ImportRequest{IfMatch: cur.ETag, SkipUnverified: in.SkipUnverified, Versions: versions}, &res)
	if err != nil {
		return err
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(a.Stderr(), "Left out version %d: %s\n", s.Version, s.Why)
	}
	if n := len(res.Imported); n > 0 {
		fmt.Fprintf(a.Stderr(), "Imported %d versions (%d-%d) as versions %d-%d.\n", n, res.Imported[0].From, res.Imported[n-1].From, res.Imported[0].To, res.Imported[n-1].To)
	}
	fmt.Fprintf(a.Stderr(), "Version %d is current; the brokers serve the same mapping as before (%s).\n", res.Version, shortDigest(res.Digest))
	return nil
}

// historyRecord is a file store history record (NNNNNN.json).
type historyRecord struct {
	Number int64  `json:"number"`
	Digest string `json:"digest"`
	Author string `json:"author"`
	Reason string `json:"reason"`
	Time   string `json:"time"`
	Size   int    `json:"size"`
	MAC    string `json:"mac"`
}

// readHistoryDir reads a file store's history directory, oldest first:
// each NNNNNN.json record with the content file of the same number. Records
// that cannot be read are named in problems.
func readHistoryDir(dir string) ([]api.ImportVersion, []string, error) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, Exitf(ExitUsage, "read the history directory: %v", err)
	}
	content := map[string]string{} // number → content file name
	for _, de := range des {
		base, ext := strings.TrimSuffix(de.Name(), filepath.Ext(de.Name())), filepath.Ext(de.Name())
		if ext != ".json" && de.Type().IsRegular() {
			if _, err := strconv.ParseInt(base, 10, 64); err == nil {
				content[base] = de.Name()
			}
		}
	}
	var out []api.ImportVersion
	var problems []string
	for _, de := range des {
		base, ok := strings.CutSuffix(de.Name(), ".json")
		n, err := strconv.ParseInt(base, 10, 64)
		if !ok || err != nil || n < 1 {
			continue
		}
		v, err := readRecord(dir, de.Name(), content[base])
		if err != nil {
			problems = append(problems, fmt.Sprintf("version %d: %v", n, err))
			continue
		}
		if v.Version != n {
			problems = append(problems, fmt.Sprintf("%s says it is version %d", de.Name(), v.Version))
			continue
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b api.ImportVersion) int { return int(a.Version - b.Version) })
	return out, problems, nil
}

func readRecord(dir, name, contentName string) (api.ImportVersion, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return api.ImportVersion{}, err
	}
	var r historyRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return api.ImportVersion{}, fmt.Errorf("%s is not a history record: %v", name, err)
	}
	v := api.ImportVersion{Version: r.Number, Digest: r.Digest, Author: r.Author, Reason: r.Reason, Size: r.Size, MAC: r.MAC}
	if err := v.Time.UnmarshalText([]byte(r.Time)); err != nil {
		return api.ImportVersion{}, fmt.Errorf("%s has no readable time: %v", name, err)
	}
	if contentName == "" {
		return api.ImportVersion{}, errors.New("its content file is missing")
	}
	c, err := os.ReadFile(filepath.Join(dir, contentName))
	if errors.Is(err, fs.ErrNotExist) || err != nil {
		return api.ImportVersion{}, fmt.Errorf("read its content: %v", err)
	}
	v.Content = string(c)
	return v, nil
}
