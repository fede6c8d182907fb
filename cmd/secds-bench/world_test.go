package main

import (
	"testing"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
	"github.com/secds/secds/internal/dev/awsemu"
)

// TestWorlds checks what the harness writes before it starts anything: the
// broker accepts the configuration (rate limits off) and the mapping, the
// emulator accepts the seed, and every user's notebook is in the seed,
// tagged so that the user's team selects it.
func TestWorlds(t *testing.T) {
	for _, w := range []world{{kind: worldSmall}, {kind: worldMany, notebooks: 30}, {kind: worldTeams, notebooks: 25}, {kind: worldSmall, traceTo: "http://127.0.0.1:4318"}} {
		t.Run(w.kind+w.traceTo, func(t *testing.T) {
			dir := t.TempDir()
			file, err := w.write(dir, "http://127.0.0.1:18080", "2s")
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(file)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Tracing.On() != (w.traceTo != "") || w.traceTo != "" && cfg.Tracing.Ratio() != 1 {
				t.Errorf("tracing %+v for traceTo %q", cfg.Tracing, w.traceTo)
			}
			if cfg.Limits == nil || cfg.Limits.PerIP.PerSecond != 0 || cfg.Limits.PerUser.PerSecond != 0 {
				t.Errorf("limits = %+v, want both off", cfg.Limits)
			}
			if _, err := tokensFor(cfg); err != nil {
				t.Fatal(err)
			}
			m, err := compose.LoadMapping(cfg.MappingFile)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(m.Teams); got != len(w.teams()) {
				t.Errorf("%d teams in the mapping, want %d", got, len(w.teams()))
			}
			seed := w.seed()
			if _, err := awsemu.New(seed); err != nil {
				t.Fatalf("the emulator refuses the seed: %v", err)
			}
			tags := map[string]map[string]string{}
			for _, nb := range seed.Notebooks {
				tags[nb.Name] = nb.Tags
			}
			for i := range max(w.notebooks, 3) {
				team, group := w.teamOf(i)
				id := abac.Identity{Subject: "sub", Username: username("u", i), Groups: []string{group}}
				nb := w.notebookOf(i)
				tg, ok := tags[nb]
				if !ok {
					t.Fatalf("user %d's notebook %s is not in the seed", i, nb)
				}
				grants, _ := m.Evaluate(id)
				if len(grants) != 1 || grants[0].Team != team {
					t.Fatalf("user %d's grants: %+v, want one, of team %s", i, grants, team)
				}
				if !grants[0].Allows(nb, tg) {
					t.Errorf("user %d's grant does not select their notebook %s (tags %v)", i, nb, tg)
				}
				if i > 0 && w.kind != worldSmall && grants[0].Allows(w.notebookOf(i-1), tags[w.notebookOf(i-1)]) {
					t.Errorf("user %d's grant selects another user's notebook", i)
				}
			}
		})
	}
}
