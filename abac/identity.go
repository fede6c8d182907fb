package abac

// Identity is who signed in, as the identity provider described them. The
// auth package fills it from a verified ID token; the mapping reads it.
type Identity struct {
	Subject  string         `json:"sub"`
	Username string         `json:"username"`
	Email    string         `json:"email,omitempty"`
	Groups   []string       `json:"groups,omitempty"`
	Claims   map[string]any `json:"claims,omitempty"`
	// Kept is set on an identity a session or token carries: the digest of
	// the mapping references it was cut down to (Mapping.Keep). Empty means
	// the whole identity, as the provider sent it.
	Kept string `json:"kept,omitempty"`
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
