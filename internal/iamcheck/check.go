package iamcheck

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/internal/iameval"
	"github.com/secds/secds/internal/iampolicy"
)

// Notebook is one notebook instance of the matrix.
type Notebook struct {
	Name string            `json:"name"`
	Tags map[string]string `json:"tags,omitempty"`
}

// Options say whose policies are checked and how the broker names people.
type Options struct {
	// Policy are the options the policies are generated with (the broker's
	// principal and networks), as `secds admin iam` takes them.
	Policy iampolicy.Options
	// Issuer is the identity provider's issuer; it only changes the derived
	// AWS names of awkward usernames. Default https://idp.invalid.
	Issuer string
}

// Pair is one identity × notebook cell of the matrix whose decisions differ.
type Pair struct {
	User     string `json:"user"`
	Subject  string `json:"subject"`
	Notebook string `json:"notebook"`
	// Broker: the broker would open it. IAM: a team session that IAM lets
	// the broker create for this person could presign it (Teams says which).
	Broker bool     `json:"broker"`
	IAM    bool     `json:"iam"`
	Teams  []string `json:"teams,omitempty"`
	// Why says, for a broker-only pair, what only the broker checks; for a
	// failure, what went wrong.
	Why string `json:"why"`
}

// Report is the outcome of a check.
type Report struct {
	Identities int `json:"identities"`
	Notebooks  int `json:"notebooks"`
	Teams      int `json:"teams"`
	// Pairs is Identities × Notebooks; Requests the IAM requests evaluated.
	Pairs    int `json:"pairs"`
	Requests int `json:"requests"`
	// BothAllow and BothRefuse count the pairs where the decisions agree.
	BothAllow  int `json:"both_allow"`
	BothRefuse int `json:"both_refuse"`
	// BrokerOnly are pairs IAM would allow and the broker refuses, for a
	// reason IAM cannot see (Why names it).
	BrokerOnly []Pair `json:"broker_only"`
	// Looser are pairs IAM would allow and the broker refuses for a reason
	// IAM should have enforced: holes in the second wall.
	Looser []Pair `json:"iam_looser"`
	// Stricter are pairs the broker opens and IAM refuses: opens that fail.
	Stricter []Pair `json:"iam_stricter"`
	// TrustProbes counts the wrong AssumeRole calls tried on the trust
	// policies (no SourceIdentity, another team's tag, an unlisted tag key,
	// another principal, ...); TrustHoles says which were admitted.
	TrustProbes int      `json:"trust_probes"`
	TrustHoles  []string `json:"trust_holes"`
	// Unenforced lists, in plain words, the grants IAM cannot enforce.
	Unenforced []string `json:"unenforced"`

	// Cases are every IAM request evaluated with the decision, for a
	// cross-check against another evaluator.
	Cases []Case `json:"-"`
}

// Case is one IAM request of the check and the decision it got.
type Case struct {
	Request  iameval.Request
	Policies iameval.Policies
	Decision iameval.Decision
}

// OK reports whether IAM is nowhere looser and nowhere stricter than the
// broker, broker-only pairs aside, and every trust policy refused every
// wrong AssumeRole.
func (r *Report) OK() bool {
	return len(r.Looser) == 0 && len(r.Stricter) == 0 && len(r.TrustHoles) == 0
}

// membership is the reason every pair of a non-member is the broker's alone.
const membership = "team membership: IAM never sees groups or claims; the trust policy admits the broker, which picks the team"

// team is one team's parsed policies and what its presign statements check.
type team struct {
	name        string
	roleARN     string
	account     string
	trust       *iameval.Policy
	permissions *iameval.Policy
	// enforcedTags are the notebook tag keys the generated policies have
	// IAM compare, namesEnforced whether they name the notebooks: read from
	// the mapping, never from the policies under check.
	enforcedTags  map[string]bool
	namesEnforced bool
}

// Check runs the matrix of ids × notebooks for mapping m against the
// policies `secds admin iam` generates for it.
func Check(m *abac.Mapping, ids []abac.Identity, notebooks []Notebook, opts Options) (*Report, error) {
	pols, err := iampolicy.Generate(m, "", opts.Policy)
	if err != nil {
		return nil, err
	}
	return CheckPolicies(m, pols, ids, notebooks, opts)
}

// CheckPolicies runs the matrix against the given policies rather than the
// ones generated from m: policies as deployed, or deliberately broken ones
// in tests.
func CheckPolicies(m *abac.Mapping, pols iampolicy.Policies, ids []abac.Identity, notebooks []Notebook, opts Options) (*Report, error) {
	if opts.Issuer == "" {
		opts.Issuer = "https://idp.invalid"
	}
	brokerPolicy, err := parse(pols.Broker.Policy, (*iameval.Policy).CheckIdentity)
	if err != nil {
		return nil, fmt.Errorf("broker identity policy: %w", err)
	}
	c := &checker{probed: map[string]bool{}, m: m, opts: opts, broker: newBrokerPrincipal(opts.Policy.BrokerPrincipal), brokerPolicy: brokerPolicy}
	for _, tp := range pols.Teams {
		t := &team{name: tp.Team, roleARN: tp.RoleARN, account: arnAccount(tp.RoleARN)}
		if t.trust, err = parse(tp.Trust, (*iameval.Policy).CheckResource); err != nil {
			return nil, fmt.Errorf("team %s trust policy: %w", tp.Team, err)
		}
		if t.permissions, err = parse(tp.Permissions, (*iameval.Policy).CheckIdentity); err != nil {
			return nil, fmt.Errorf("team %s permission policy: %w", tp.Team, err)
		}
		at := teamNamed(m, tp.Team)
		if at == nil {
			return nil, fmt.Errorf("policies for team %s, which the mapping does not have", tp.Team)
		}
		t.enforcedTags, t.namesEnforced = iampolicy.Enforceable(at)
		c.teams = append(c.teams, t)
	}
	r := &Report{Identities: len(ids), Notebooks: len(notebooks), Teams: len(c.teams), Pairs: len(ids) * len(notebooks)}
	r.Unenforced = append(r.Unenforced, "Team membership (groups, claims, subjects, email domains) is decided by the broker alone: IAM only sees the session the broker asks for.", caseNote)
	for _, tp := range pols.Teams {
		for _, s := range tp.BrokerOnly {
			r.Unenforced = append(r.Unenforced, "team "+tp.Team+": "+s)
		}
	}
	for _, id := range ids {
		c.identity(r, id, notebooks)
	}
	r.Requests = len(r.Cases)
	return r, nil
}

type checker struct {
	probed       map[string]bool // teams whose trust policy was probed
	m            *abac.Mapping
	opts         Options
	broker       principal
	brokerPolicy *iameval.Policy
	teams        []*team
}

// identity fills in one row of the matrix.
func (c *checker) identity(r *Report, id abac.Identity, notebooks []Notebook) {
	brokerName, unusable := c.brokerView(id)
	grants, _ := c.m.Evaluate(id)
	members := map[string]*abac.Grant{}
	for i := range grants {
		members[grants[i].Team] = &grants[i]
	}
	// IAM's view: every team session the broker could ask for this person.
	type session struct {
		t *team
		g abac.Grant // the team's grant rendered for the person
		s *roleSession
	}
	var sessions []session
	refused := map[string]bool{} // teams whose trust policy refuses the broker's AssumeRole
	for _, t := range c.teams {
		g, err := c.m.GrantFor(t.name, id)
		if err != nil {
			continue // the broker cannot render this team's tags for the person
		}
		s := newRoleSession(id, g, brokerName)
		if !c.assume(r, t, s) {
			refused[t.name] = true
			continue
		}
		sessions = append(sessions, session{t, g, s})
		if unusable == "" && !c.probed[t.name] {
			c.probed[t.name] = true
			c.checkTrust(r, t, s)
		}
	}
	for _, ss := range sessions {
		c.studio(r, id, ss.t, ss.g, ss.s, members[ss.t.name] != nil && unusable == "")
	}
	for _, nb := range notebooks {
		brokerOpens := false
		if unusable == "" {
			for _, g := range grants {
				if g.Allows(nb.Name, nb.Tags) {
					brokerOpens = true
				}
			}
		}
		var iamTeams []string
		var looser, looserURL, why []string
		stricter := ""
		for _, ss := range sessions {
			presign := c.sageMaker(r, ss.t, ss.s, presignAction, nb, c.brokerNetwork())
			g := members[ss.t.name]
			if brokerOpens && g != nil && g.Allows(nb.Name, nb.Tags) && unusable == "" {
				if problem := c.opens(r, ss.t, ss.s, nb, presign, g.StartStopped); problem != "" {
					stricter = fmt.Sprintf("team %s's permission policy refuses %s", ss.t.name, problem)
				}
				if c.userNetwork() != nil && c.sageMaker(r, ss.t, ss.s, presignAction, nb, c.elsewhere()) {
					looserURL = append(looserURL, ss.t.name)
				}
			}
			if !presign {
				continue
			}
			iamTeams = append(iamTeams, ss.t.name)
			if brokerOpens {
				continue
			}
			switch reason := c.brokerOnly(ss.t, g, &ss.g, unusable, nb); reason {
			case "":
				looser = append(looser, ss.t.name)
			default:
				why = append(why, reason)
			}
		}
		iamOpens := len(iamTeams) > 0
		if brokerOpens && stricter == "" {
			for _, g := range grants {
				if refused[g.Team] && g.Allows(nb.Name, nb.Tags) {
					stricter = fmt.Sprintf("team %s's trust policy refuses the broker's AssumeRole for this person", g.Team)
				}
			}
		}
		switch {
		case stricter != "":
			r.Stricter = append(r.Stricter, pair(id, nb, true, iamOpens, iamTeams, stricter))
		case len(looserURL) > 0:
			r.Looser = append(r.Looser, pair(id, nb, true, true, iamTeams,
				fmt.Sprintf("team %s's URL for it may be used from outside both the broker's and the users' networks", strings.Join(looserURL, ", "))))
		case brokerOpens && iamOpens:
			r.BothAllow++
		case brokerOpens:
			r.Stricter = append(r.Stricter, pair(id, nb, true, false, nil, "no team session IAM allows could open it"))
		case !iamOpens:
			r.BothRefuse++
		case len(looser) > 0:
			r.Looser = append(r.Looser, pair(id, nb, false, true, iamTeams,
				fmt.Sprintf("the broker refuses it but team %s's session may presign it", strings.Join(looser, ", "))))
		default:
			slices.Sort(why)
			r.BrokerOnly = append(r.BrokerOnly, pair(id, nb, false, true, iamTeams, strings.Join(slices.Compact(why), "; ")))
		}
	}
}

// brokerView is how the broker names the person to AWS, and why it refuses
// to when it does. A refused username still gets the name it would have, so
// the check can show what IAM alone would make of it.
func (c *checker) brokerView(id abac.Identity) (name, unusable string) {
	name, err := principalName(c.opts.Issuer, id)
	if err != nil {
		return "", "the broker refuses an identity without a subject"
	}
	if p := abac.TagValueProblem(id.Username); p != "" {
		return name, "the broker refuses this username (it " + p + ")"
	}
	return name, ""
}

// brokerOnly says why IAM may allow what the broker refuses, or "" when
// nothing IAM cannot see explains it. rendered is the team's grant rendered
// for the person (GrantFor), member the grant the broker gives them (nil
// when they are not in the team): either way IAM must still refuse every
// notebook that grant would refuse for a reason IAM can see, so a
// non-member's pair is put down to membership only when the team's grant,
// cut to what IAM enforces, would let them open it.
func (c *checker) brokerOnly(t *team, member, rendered *abac.Grant, unusable string, nb Notebook) string {
	relaxed := *rendered
	relaxed.NotebookTags = map[string]string{}
	for k, v := range rendered.NotebookTags {
		if t.enforcedTags[k] {
			relaxed.NotebookTags[k] = v
		}
	}
	if !t.namesEnforced {
		relaxed.NotebookNames = nil
	}
	var parts []string
	if !relaxed.Allows(nb.Name, nb.Tags) {
		// IAM reads condition key names, tag keys in
		// sagemaker:ResourceTag/<key> too, without regard to letter case;
		// the broker wants each key as the mapping writes it.
		if !slices.ContainsFunc(readings(nb.Tags), func(tags map[string]string) bool {
			return relaxed.Allows(nb.Name, foldKeys(tags, relaxed.NotebookTags))
		}) {
			return ""
		}
		parts = append(parts, "the letter case of tag keys")
	}
	switch {
	case unusable != "":
		return unusable
	case member == nil:
		return membership
	}
	for k := range rendered.NotebookTags {
		if !t.enforcedTags[k] {
			parts = append(parts, "notebook tag "+k)
		}
	}
	if len(rendered.NotebookNames) > 0 && !t.namesEnforced {
		parts = append(parts, "notebook names")
	}
	slices.Sort(parts)
	return fmt.Sprintf("team %s: %s checked by the broker only", t.name, strings.Join(parts, ", "))
}

const (
	presignAction = "sagemaker:CreatePresignedNotebookInstanceUrl"
	startAction   = "sagemaker:StartNotebookInstance"
)

// caseNote is the grant part that is the broker's alone in every mapping.
const caseNote = "The letter case of notebook tag keys: IAM reads sagemaker:ResourceTag/<key> whatever the key's case (Owner=alice passes owner's check, and on a notebook tagged both owner=bob and Owner=alice which one IAM reads is not defined); the broker wants the key exactly as the mapping writes it."

// foldKeys renames the notebook's tag keys that equal a selector key but for
// letter case to the selector's spelling, as IAM would read them.
func foldKeys(tags, selector map[string]string) map[string]string {
	out := make(map[string]string, len(tags))
	for k, v := range tags {
		out[k] = v
	}
	for sk := range selector {
		if _, exact := tags[sk]; exact {
			continue
		}
		for k, v := range tags {
			if strings.EqualFold(k, sk) {
				out[sk] = v
			}
		}
	}
	return out
}

// opens says what IAM refuses of an open the broker makes with session s,
// or "": the describe call and the presign call from the broker's network,
// the start call when the team starts stopped notebooks (start_stopped),
// and, when the users' network is pinned, the URL's use from there (AWS
// evaluates the presign permission again on every request made with it).
func (c *checker) opens(r *Report, t *team, s *roleSession, nb Notebook, presign, start bool) string {
	switch {
	case !presign:
		return "the presign call"
	case !c.sageMaker(r, t, s, "sagemaker:DescribeNotebookInstance", nb, c.brokerNetwork()):
		return "the describe call"
	case start && !c.sageMaker(r, t, s, startAction, nb, c.brokerNetwork()):
		return "the start call"
	}
	if users := c.userNetwork(); users != nil && !c.sageMaker(r, t, s, presignAction, nb, users) {
		return "the URL's use from the users' network"
	}
	return ""
}

func pair(id abac.Identity, nb Notebook, broker, iam bool, teams []string, why string) Pair {
	return Pair{User: id.Username, Subject: id.Subject, Notebook: nb.Name, Broker: broker, IAM: iam, Teams: teams, Why: why}
}

// parse reads a document and checks it is of the kind it is used as.
func parse(d iampolicy.Document, kind func(*iameval.Policy) error) (*iameval.Policy, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	p, err := iameval.Parse(raw)
	if err != nil {
		return nil, err
	}
	return p, kind(p)
}

func teamNamed(m *abac.Mapping, name string) *abac.Team {
	for i := range m.Teams {
		if m.Teams[i].Name == name {
			return &m.Teams[i]
		}
	}
	return nil
}
