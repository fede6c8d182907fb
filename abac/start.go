package abac

// StartsStopped reports whether an open of one of team's notebooks may start
// it when it is stopped (the team's start_stopped, or the default's).
func (m *Mapping) StartsStopped(team string) bool {
	if m == nil {
		return false
	}
	for i := range m.Teams {
		if t := &m.Teams[i]; t.Name == team {
			return t.StartStopped != nil && *t.StartStopped
		}
	}
	return false
}
