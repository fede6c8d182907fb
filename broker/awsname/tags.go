package awsname

import (
	"maps"
	"slices"

	"github.com/secds/secds/abac"
)

// Tag is one session tag.
type Tag struct{ Key, Value string }

// SessionTags are the session tags the broker asks AWS for: team and user,
// then the grant's tags by key. The user tag is the username exactly; the
// broker refuses any username AWS would not take as it is, so it is never
// changed into someone else's.
func SessionTags(id abac.Identity, g abac.Grant) []Tag {
	tags := []Tag{{"team", g.Team}, {"user", id.Username}}
	for _, k := range slices.Sorted(maps.Keys(g.SessionTags)) {
		tags = append(tags, Tag{k, g.SessionTags[k]})
	}
	return tags
}
