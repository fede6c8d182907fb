package broker

import (
	"strings"
	"sync"
	"time"

	"github.com/secds/secds/abac"
)

// studioCache keeps what a Studio open's checks learnt, for the discovery
// TTL, so that a warm Studio open is one AWS call (the presign) as a warm
// notebook open is: the domain's description, that the person's user
// profile is tagged for them, and which spaces they may open. Entries are
// per team role (a role that may not describe the domain learns nothing
// from another's), only successes are kept, and the presign itself is
// still judged by IAM on the profile's tags as they are then.
type studioCache struct {
	mu       sync.Mutex
	domains  map[string]studioDomainEntry
	profiles map[string]time.Time // when the profile was last found tagged for the person
	spaces   map[string]studioSpacesEntry
}

type studioDomainEntry struct {
	arn   string
	facts abac.DomainFacts
	at    time.Time
}

type studioSpacesEntry struct {
	spaces []studioSpace
	at     time.Time
}

// maxStudioEntries bounds each map; past it, it starts over.
const maxStudioEntries = 10_000

func studioKey(parts ...string) string { return strings.Join(parts, "\x00") }

// fresh reports whether something learnt at at may still be used.
func (s *studioSession) fresh(at time.Time) bool {
	ttl := s.b.disc.ttl
	return ttl > 0 && s.b.now().Sub(at) < ttl
}

func (s *studioSession) domainKey() string { return studioKey(s.g.RoleARN, s.g.Studio.DomainID) }

func (s *studioSession) profileKey() string {
	return studioKey(s.g.RoleARN, s.g.Studio.DomainID, s.g.Studio.UserProfile, s.g.Team, s.id.Username)
}

func (s *studioSession) spacesKey() string {
	return studioKey(s.g.RoleARN, s.g.Studio.DomainID, s.g.Studio.UserProfile, s.g.Team)
}

func (s *studioSession) cachedDomain() bool {
	c := &s.b.studioCache
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.domains[s.domainKey()]
	if ok && s.fresh(e.at) {
		s.domainARN, s.facts = e.arn, e.facts
		return true
	}
	return false
}

func (s *studioSession) keepDomain() {
	c := &s.b.studioCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.domains == nil || len(c.domains) >= maxStudioEntries {
		c.domains = map[string]studioDomainEntry{}
	}
	c.domains[s.domainKey()] = studioDomainEntry{arn: s.domainARN, facts: s.facts, at: s.b.now()}
}

func (s *studioSession) cachedProfile() bool {
	c := &s.b.studioCache
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.profiles[s.profileKey()]
	return ok && s.fresh(at)
}

func (s *studioSession) keepProfile() {
	c := &s.b.studioCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.profiles == nil || len(c.profiles) >= maxStudioEntries {
		c.profiles = map[string]time.Time{}
	}
	c.profiles[s.profileKey()] = s.b.now()
}

func (s *studioSession) cachedSpaces() ([]studioSpace, bool) {
	c := &s.b.studioCache
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.spaces[s.spacesKey()]
	if ok && s.fresh(e.at) {
		return e.spaces, true
	}
	return nil, false
}

func (s *studioSession) keepSpaces(spaces []studioSpace) {
	c := &s.b.studioCache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.spaces == nil || len(c.spaces) >= maxStudioEntries {
		c.spaces = map[string]studioSpacesEntry{}
	}
	c.spaces[s.spacesKey()] = studioSpacesEntry{spaces: spaces, at: s.b.now()}
}
