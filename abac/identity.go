package abac

// Identity is who signed in, as the identity provider described them. The
// auth package fills it from a verified ID token; the mapping reads it.
type Identity struct {
	Subject  string         `json:"sub"`
	Username string         `json:"username"`
	Email    string         `json:"email,omitempty"`
	Groups   []string       `json:"groups,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
}

// InGroup reports whether the identity is a member of group.
func (id Identity) InGroup(group string) bool {
	for _, g := range id.Groups {
		if g == group {
			return true
		}
	}
	return false
}
