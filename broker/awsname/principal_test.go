package awsname_test

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secds/secds/broker/awsname"
)

// awsName is AWS's rule for RoleSessionName and SourceIdentity (\w is ASCII
// in AWS's regular expressions, as in Go's).
var awsName = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

func checkAWSName(t *testing.T, name string) {
	t.Helper()
	if !awsName.MatchString(name) || strings.HasPrefix(strings.ToLower(name), "aws:") {
		t.Errorf("%q is not a valid RoleSessionName / SourceIdentity", name)
	}
}

type person struct{ sub, username string }

// TestPrincipalNamesNameOnePerson: the usernames the old mapping turned into
// alice's "alice", into one "alice_" or into one "--" now get names of
// their own, and a username made to look like someone's derived name does
// not get it.
func TestPrincipalNamesNameOnePerson(t *testing.T) {
	const iss = "https://idp.example"
	long := strings.Repeat("averyverylongname.", 4) // 72 characters
	people := []person{
		{"s-alice", "alice"},
		{"s-1", "alice "}, {"s-2", "\u00a0alice\t"}, {"s-3", " alice"},
		{"s-4", "alice!"}, {"s-5", "alice?"}, {"s-6", "alice\u200b"}, {"s-7", "alice_"},
		{"s-8", "李雷"}, {"s-9", "王芳"}, {"s-10", "--"},
		{"s-11", long + "one@example.com"}, {"s-12", long + "two@example.com"}, {"s-13", long[:64]},
		{"s-14", "a"}, {"s-15", "u-a"}, {"s-16", "aws:admin"}, {"s-17", "aws-admin"},
		{"s-18", "x=y"}, {"s-19", "alice=smith"},
		{"s-20", "alice@example.com"}, {"s-21", "alice+test@example.com"},
	}
	want := map[string]string{ // the usernames AWS takes as they are
		"alice": "alice", "alice_": "alice_", "--": "--", "u-a": "u-a", "aws-admin": "aws-admin",
		long[:64]: long[:64], "alice@example.com": "alice@example.com", "alice+test@example.com": "alice+test@example.com",
	}
	seen := map[string]person{}
	for _, p := range people {
		name, err := awsname.PrincipalName(iss, p.sub, p.username)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		checkAWSName(t, name)
		if w, plain := want[p.username]; plain && name != w {
			t.Errorf("%q is named %q, want it as it is", p.username, name)
		} else if !plain && !strings.Contains(name, "=") {
			t.Errorf("%q is named %q, want a derived name", p.username, name)
		}
		if other, dup := seen[name]; dup {
			t.Errorf("%+v and %+v are both named %q", p, other, name)
		}
		seen[name] = p
	}
	// Someone whose username is another person's derived name gets a name
	// of their own, and the same subject at another issuer another one.
	li, _ := awsname.PrincipalName(iss, "s-8", "李雷")
	if got, _ := awsname.PrincipalName(iss, "s-99", li); got == li {
		t.Errorf("the username %q was given to another person as their name", li)
	}
	if got, _ := awsname.PrincipalName("https://other.example", "s-8", "李雷"); got == li {
		t.Error("one subject at two issuers got one name")
	}
	if got, _ := awsname.PrincipalName(iss, "s-8", "李雷"); got != li {
		t.Errorf("the name is not stable: %q, then %q", li, got)
	}
	if _, err := awsname.PrincipalName(iss, "", "李雷"); err == nil {
		t.Error("a derived name was made without a subject")
	}
}

// awkward draws usernames from characters that matter here: the AWS set,
// '=', spaces of several kinds, invisible ones and other scripts.
func awkward(r *rand.Rand) string {
	alphabet := []rune("aA0_+=,.@- \u00a0\t\u200b!?:李王é")
	n := r.IntN(70)
	b := make([]rune, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestPrincipalNamesAreInjective is the property behind the names: two
// people (two subjects of one issuer) share a name only if both usernames
// are the same plain username, which is then one person for AWS's tags too.
// One subject whose username changes is one person and may keep one name.
func TestPrincipalNamesAreInjective(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	seen := map[string]person{}
	for i := range 20000 {
		p := person{sub: "s" + string(rune('a'+i%3)) + strings.Repeat("x", i%5), username: awkward(r)}
		if r.IntN(4) == 0 { // plenty of clashing subjects and usernames
			p.sub = "s"
		}
		name, err := awsname.PrincipalName("https://idp.example", p.sub, p.username)
		if err != nil {
			t.Fatal(err)
		}
		checkAWSName(t, name)
		if q, dup := seen[name]; dup && q.sub != p.sub && !(q.username == p.username && name == p.username) {
			t.Fatalf("%+v and %+v are both named %q", p, q, name)
		}
		seen[name] = p
	}
}

// FuzzPrincipalName holds the same property for any two identities.
func FuzzPrincipalName(f *testing.F) {
	f.Add("s1", "alice", "s2", "alice ")
	f.Add("s1", "李雷", "s2", "王芳")
	f.Add("s1", "alice!", "s2", "alice?")
	f.Add("s1", "x", "s1", "y")
	f.Fuzz(func(t *testing.T, sub1, user1, sub2, user2 string) {
		if sub1 == "" || sub2 == "" {
			return
		}
		n1, err1 := awsname.PrincipalName("iss", sub1, user1)
		n2, err2 := awsname.PrincipalName("iss", sub2, user2)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		checkAWSName(t, n1)
		checkAWSName(t, n2)
		if n1 == n2 && sub1 != sub2 && !(user1 == user2 && n1 == user1) {
			t.Fatalf("(%q, %q) and (%q, %q) are both named %q", sub1, user1, sub2, user2, n1)
		}
		if !utf8.ValidString(n1) {
			t.Fatalf("name %q is not UTF-8", n1)
		}
	})
}
