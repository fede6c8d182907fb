package devidp

// DemoUsers returns secds's demo users, matching the dev team mapping:
// alice is on the fraud team, bob on marketing, carol on no team (she shows
// the "no notebook for you" path) and admin administers secds.
func DemoUsers() []User {
	return []User{
		{Subject: "dev-alice", Username: "alice", Name: "Alice Demo", Email: "alice@example.com", Groups: []string{"ds-fraud"}},
		{Subject: "dev-bob", Username: "bob", Name: "Bob Demo", Email: "bob@example.com", Groups: []string{"ds-marketing"}},
		{Subject: "dev-carol", Username: "carol", Name: "Carol Demo", Email: "carol@example.com"},
		{Subject: "dev-admin", Username: "admin", Name: "Admin Demo", Email: "admin@example.com", Groups: []string{"secds-admins"}},
	}
}
