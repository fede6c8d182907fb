package iampolicy

import (
	"fmt"
	"strings"

	"github.com/secds/secds/abac"
)

// startNote names the teams whose sessions may start notebooks, or "".
func startNote(m *abac.Mapping, team string) string {
	var names []string
	for _, t := range selectTeams(m, team) {
		if t.StartStopped != nil && *t.StartStopped {
			names = append(names, t.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("Team %s starts stopped notebooks when they are opened (start_stopped): its session may also call StartNotebookInstance (statement StartTeamNotebooks), on exactly the notebooks it may presign. No team may stop, create or delete a notebook.",
		strings.Join(names, ", "))
}
