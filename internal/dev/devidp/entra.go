package devidp

import "fmt"

// EntraGroups returns n groups shaped like Entra ID's (36-character object
// IDs), with the given groups among them: tests make identities of the size
// a real tenant sends. They are not demo users' groups.
func EntraGroups(n int, with ...string) []string {
	out := make([]string, 0, n)
	for i := len(with); i < n; i++ {
		out = append(out, fmt.Sprintf("%08x-e17a-4000-8000-%012x", i+1, i+1))
	}
	return append(out, with...)
}
