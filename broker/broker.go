package broker

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"golang.org/x/sync/singleflight"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/broker/awsname"
	"github.com/secds/secds/internal/api"
	"github.com/secds/secds/internal/audit"
)

// URLLifetime is how long SageMaker's presigned notebook URLs stay valid.
const URLLifetime = 5 * time.Minute

var notebookNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)

// Config wires a Broker. Its settings (the durations and the concurrency)
// come from internal/config, defaults applied: New refuses a value the
// broker cannot work with and sets none of its own.
type Config struct {
	STS       STSAPI
	SageMaker SageMakerAPI
	// Studio serves the Studio calls; nil: SageMaker, when it has them
	// (a *sagemaker.Client does).
	Studio StudioAPI
	// Mapping returns the live team mapping; it is read at every open so an
	// admin's change applies at once.
	Mapping func() *abac.Mapping
	Audit   audit.Recorder
	Now     func() time.Time // nil: time.Now
	// DiscoveryTTL is how long a team's notebook list is reused; 0: not at
	// all. Shortly before it ends (four times the last listing's duration,
	// at least a tenth of it), an open that uses the list has it relisted
	// in the background, so under steady use no open waits.
	DiscoveryTTL time.Duration
	// AWSTimeout bounds the AWS work of one open or list.
	AWSTimeout time.Duration
	// MaxConcurrentAWS bounds how many opens and lists talk to AWS at once,
	// so a burst cannot exhaust the broker or its AWS API quota.
	MaxConcurrentAWS int
	// QueueTimeout is how long a request waits for a free slot.
	QueueTimeout time.Duration
	// Pin, when set, pins every presigned URL to the client that asked for
	// it (pin.go).
	Pin *Pin
	// Issuer is the OIDC issuer the identities come from. It goes into the
	// derived AWS names (see awsname.PrincipalName), so two brokers on one AWS
	// account with different identity providers cannot name two people alike.
	Issuer string
}

// Broker opens notebooks for identities.
type Broker struct {
	sts     STSAPI
	sm      SageMakerAPI
	studio  StudioAPI
	mapping func() *abac.Mapping
	audit   audit.Recorder
	now     func() time.Time
	disc    *discovery
	creds   *credCache
	timeout time.Duration
	queue   time.Duration
	slots   chan struct{}
	issuer  string
	posture postureCache
	// studioCache keeps what Studio opens' checks learnt (studiocache.go).
	studioCache studioCache
	pin         *Pin
	starts      singleflight.Group // by lower-cased notebook name: one start at a time
}

// New returns a Broker.
func New(cfg Config) (*Broker, error) {
	if cfg.AWSTimeout <= 0 || cfg.QueueTimeout <= 0 || cfg.MaxConcurrentAWS <= 0 {
		// Any of them zero refuses every open.
		return nil, fmt.Errorf("broker: the AWS time-out (%s), queue time-out (%s) and concurrency (%d) must be positive",
			cfg.AWSTimeout, cfg.QueueTimeout, cfg.MaxConcurrentAWS)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Studio == nil {
		cfg.Studio, _ = cfg.SageMaker.(StudioAPI)
	}
	slots := make(chan struct{}, cfg.MaxConcurrentAWS)
	return &Broker{
		sts: cfg.STS, sm: cfg.SageMaker, studio: cfg.Studio, mapping: cfg.Mapping, audit: cfg.Audit, now: cfg.Now,
		timeout: cfg.AWSTimeout, queue: cfg.QueueTimeout, slots: slots,
		creds: newCredCache(cfg.Now), issuer: cfg.Issuer, pin: cfg.Pin,
		disc: newDiscovery(cfg.SageMaker, cfg.DiscoveryTTL, cfg.AWSTimeout, cfg.Now, slots),
	}, nil
}

// Close stops the background notebook listings and waits for those under
// way to end (each is bounded by the AWS time-out). Opens after Close
// still work; they only list in the foreground.
func (b *Broker) Close() error {
	b.disc.close()
	return nil
}

// RequestMeta is what the audit trail records about where a request came from.
type RequestMeta struct {
	ClientIP  string
	RequestID string
	Via       string // "browser" or "api"
	TokenID   string // the CLI token's jti, when one made the request
}

// OpenRequest asks for one notebook. Team and Notebook may be empty: the
// broker then picks the only candidate or returns the choices.
type OpenRequest struct {
	Team     string
	Notebook string
	RequestMeta
}

// OpenResult is either a URL or, when several notebooks fit, the choices.
type OpenResult struct {
	URL       string     `json:"url,omitempty"` // a bearer secret: never log it
	ExpiresAt time.Time  `json:"expires_at,omitzero"`
	Team      string     `json:"team,omitempty"`
	Notebook  string     `json:"notebook,omitempty"`
	Choices   []Notebook `json:"choices,omitempty"`
	// Status is set, without a URL, when the notebook is not running yet
	// (Pending, Updating, Stopping; a Stopped one this open started is
	// Pending): poll Status and open again once it is InService.
	Status string `json:"status,omitempty"`
	// Studio is what OpenStudio opened.
	Studio *StudioOpened `json:"studio,omitempty"`
}

// Open decides whether id may open the requested notebook and, if so, returns
// a presigned URL for it. Every call, granted or not, writes one audit event;
// if that write fails no URL is returned.
func (b *Broker) Open(ctx context.Context, id abac.Identity, req OpenRequest) (res OpenResult, err error) {
	ev := audit.Event{Type: audit.TypeOpen, Subject: id.Subject, Username: id.Username, Email: id.Email,
		Team: req.Team, Notebook: req.Notebook, ClientIP: req.ClientIP, RequestID: req.RequestID, Via: req.Via, TokenID: req.TokenID}
	defer func() {
		switch {
		case err != nil:
			ev.Decision = audit.Failed
			ev.Code, ev.Reason = auditOf(err)
			if k := api.As(err).Kind; k == api.KindForbidden || k == api.KindNotFound || k == api.KindBadRequest {
				ev.Decision = audit.Denied
			}
		case len(res.Choices) > 0:
			ev.Decision = audit.Choose
		case res.Waiting():
			ev.Decision, ev.Reason = audit.Waiting, "notebook is "+res.Status
		default:
			ev.Decision, ev.Team, ev.Notebook = audit.Granted, res.Team, res.Notebook
		}
		if aerr := b.audit.Record(ev); aerr != nil && err == nil {
			res, err = OpenResult{}, unavailable(api.CodeAuditUnavailable, "The audit log cannot be written, so no notebook can be opened right now. Tell the platform team.", aerr)
		}
	}()

	if req.Notebook != "" && !notebookNameRE.MatchString(req.Notebook) {
		return OpenResult{}, &api.Error{Kind: api.KindBadRequest, Code: api.CodeBadNotebookName,
			Message: "A notebook name is 1–63 letters, digits and hyphens; check the link you followed."}
	}
	m, name, grants, err := b.who(id, req.Team, &ev)
	if err != nil {
		return OpenResult{}, err
	}
	policy, err := b.pinPolicy(req.ClientIP)
	if err != nil {
		return OpenResult{}, err
	}
	ctx, release, err := b.acquire(ctx)
	if err != nil {
		return OpenResult{}, err
	}
	defer release()
	found, err := b.find(ctx, id, name, grants, req.Notebook, policy)
	if err != nil {
		return OpenResult{}, err
	}
	cands := found.candidates
	switch {
	case len(cands) == 0 && req.Notebook != "":
		return OpenResult{}, notYours(m, req.Notebook, grants, found)
	case len(cands) == 0:
		return OpenResult{}, &api.Error{Kind: api.KindNotFound, Code: api.CodeNoNotebook,
			Message: fmt.Sprintf("No notebook is tagged for you yet (%s). %s", describeSelectors(grants), CreateAdvice(m))}
	case len(cands) > 1:
		b.complianceOf(ctx, found)
		return OpenResult{Choices: cands}, nil
	}
	nb := cands[0]
	t := found.teams[nb.Team]
	ev.Team, ev.Role, ev.Notebook = nb.Team, t.grant.RoleARN, nb.Name
	// A notebook that misses an enforced requirement is neither started
	// nor presigned.
	if err := b.checkPosture(ctx, m, nb, t, &ev); err != nil {
		return OpenResult{}, err
	}
	if nb.Status != StatusInService {
		// The cached list may be a few seconds old: ask SageMaker (which
		// corrects the list), and start or wait for a notebook not running.
		st, err := b.state(ctx, nb, t)
		if err != nil {
			return OpenResult{}, err
		}
		if st.Status != StatusInService {
			return b.await(ctx, m, id, name, req, nb, t, st)
		}
	}
	out, err := b.sm.CreatePresignedNotebookInstanceUrl(ctx, &sagemaker.CreatePresignedNotebookInstanceUrlInput{
		NotebookInstanceName:               aws.String(nb.Name),
		SessionExpirationDurationInSeconds: aws.Int32(int32(t.grant.NotebookSessionSeconds)),
	}, as(t.creds))
	if err != nil {
		// The cached list may have called the notebook InService when it no
		// longer is; SageMaker then refuses. Ask for its state to say why.
		if isValidation(err) {
			st, derr := b.state(ctx, nb, t)
			if derr != nil {
				return OpenResult{}, derr
			}
			if st.Status != StatusInService {
				return b.await(ctx, m, id, name, req, nb, t, st)
			}
		}
		return OpenResult{}, sageMakerError("CreatePresignedNotebookInstanceUrl", nb.Team, nb.Name, err)
	}
	if aws.ToString(out.AuthorizedUrl) == "" {
		return OpenResult{}, unavailable(api.CodeAWSBadResponse, "SageMaker returned no URL. Try again in a minute.", fmt.Errorf("presign %s: empty url", nb.Name))
	}
	return OpenResult{URL: *out.AuthorizedUrl, ExpiresAt: b.now().Add(URLLifetime), Team: nb.Team, Notebook: nb.Name}, nil
}

// acquire takes one of the AWS slots and bounds the work by the AWS time-out.
func (b *Broker) acquire(ctx context.Context) (context.Context, func(), error) {
	select {
	case b.slots <- struct{}{}:
	default:
		if err := b.waitForSlot(ctx); err != nil {
			return nil, nil, err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	return ctx, func() { cancel(); <-b.slots }, nil
}

// waitForSlot waits for a free AWS slot, up to the queue time-out. In a
// traced request the wait is a span of its own (phaseWaitForSlot): time
// the open spent on no AWS call.
func (b *Broker) waitForSlot(ctx context.Context) (err error) {
	end := startPhase(ctx, phaseWaitForSlot)
	defer func() { end(err) }()
	wait := time.NewTimer(b.queue)
	defer wait.Stop()
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-wait.C:
		e := unavailable(api.CodeBrokerBusy, "The broker is handling too many requests right now. Try again in a few seconds.", fmt.Errorf("no AWS slot free after %s", b.queue))
		e.RetryAfter = 5 * time.Second
		return e
	case <-ctx.Done():
		return unavailable(api.CodeAWSTimeout, "The request was cancelled while waiting. Try again.", ctx.Err())
	}
}

// notYours refuses a named notebook the identity may not open. A notebook
// that exists but is not the person's and one that does not exist get the
// same status, code and message, so nobody learns which notebook names exist
// in other teams; the audit trail still records which it was.
func notYours(m *abac.Mapping, name string, grants []abac.Grant, f found) error {
	msg := fmt.Sprintf("You have no notebook named %s. ", name) + notYoursAdvice(m, grants, f.all(grants))
	e := &disguised{refusal: &api.Error{Kind: api.KindNotFound, Code: api.CodeNotebookNotFound, Message: msg},
		auditCode: string(api.CodeNotebookNotFound), reason: "no notebook of that name exists"}
	if f.exists(name) {
		e.auditCode = auditNotebookNotAllowed
		e.reason = fmt.Sprintf("notebook %s exists but is not tagged for this person (%s)", name, describeSelectors(grants))
	}
	return e
}

// who is what every open starts with: the live mapping, the name the
// identity goes by in AWS (recorded in ev as its SourceIdentity) and its
// grants, narrowed to team when one is asked for.
func (b *Broker) who(id abac.Identity, team string, ev *audit.Event) (*abac.Mapping, string, []abac.Grant, error) {
	m := b.mapping()
	name, err := b.principal(m, id)
	if err != nil {
		return m, "", nil, err
	}
	ev.SourceIdentity = name
	grants, err := b.grants(m, id, team)
	return m, name, grants, err
}

// principal checks that the identity can be named to AWS as it is and returns
// its RoleSessionName and SourceIdentity. A username AWS would not take as a
// tag value is refused, never changed to fit: the changed name could be
// another person's ("alice " would open alice's notebooks).
func (b *Broker) principal(m *abac.Mapping, id abac.Identity) (string, error) {
	if problem := abac.TagValueProblem(id.Username); problem != "" {
		return "", &api.Error{Kind: api.KindForbidden, Code: api.CodeIdentityUnusable,
			Message: fmt.Sprintf("Your username %s cannot be used with AWS as it is: it %s. secds does not change it to fit, since the changed name could be someone else's. Ask the platform team to correct your username at the identity provider.", quote(id.Username), problem)}
	}
	name, err := awsname.PrincipalName(b.issuer, id.Subject, id.Username)
	if err != nil {
		return "", &api.Error{Kind: api.KindForbidden, Code: api.CodeIdentityUnusable, Err: err,
			Message: "Your account has no subject, so secds cannot name you to AWS. Sign in again; if it keeps happening, " + lowerFirst(orAsk(m))}
	}
	return name, nil
}

// grants evaluates the mapping and narrows it to the requested team.
func (b *Broker) grants(m *abac.Mapping, id abac.Identity, team string) ([]abac.Grant, error) {
	grants, denials := m.Evaluate(id)
	if len(grants) == 0 {
		msg := "You are not in any team that may open notebooks."
		if len(denials) > 0 {
			var ve *abac.ValueError
			if errors.As(denials[0].Err, &ve) {
				return nil, &api.Error{Kind: api.KindForbidden, Code: api.CodeIdentityUnusable, Err: denials[0].Err,
					Message: fmt.Sprintf("Your account cannot be used for team %s as it is: %s. secds does not change values to fit, since a changed value could be someone else's. Ask the platform team to correct it at the identity provider or in the team mapping.", denials[0].Team, ve.Error())}
			}
			msg = fmt.Sprintf("Your team %s could not be applied to your account (%s).", denials[0].Team, denials[0].Reason)
		}
		return nil, &api.Error{Kind: api.KindForbidden, Code: api.CodeNoTeam, Message: msg + " " + joinAdvice(m)}
	}
	if team == "" {
		return grants, nil
	}
	for _, g := range grants {
		if g.Team == team {
			return []abac.Grant{g}, nil
		}
	}
	return nil, &api.Error{Kind: api.KindForbidden, Code: api.CodeTeamNotAllowed,
		Message: otherTeamAdvice(team, grants)}
}

// found is what discovery learnt for one identity across its teams.
type found struct {
	// candidates are the notebooks the identity may open, in team order:
	// all of them, or only the one asked for by name.
	candidates []Notebook
	teams      map[string]teamSession // by team name
}

// teamSession is one team's grant, the role session assumed for it and the
// role's notebooks.
type teamSession struct {
	grant abac.Grant
	creds aws.Credentials
	cat   *catalog
}

// all returns every notebook the grants let the identity open, for advice
// after a named notebook was refused.
func (f found) all(grants []abac.Grant) []Notebook {
	var out []Notebook
	for i := range grants {
		if t, ok := f.teams[grants[i].Team]; ok {
			out = t.cat.allowed(out, &grants[i])
		}
	}
	return out
}

// exists reports whether any of the identity's team roles sees a notebook
// of that name, for the audit trail only.
func (f found) exists(name string) bool {
	for _, t := range f.teams {
		if _, ok := t.cat.named(name); ok {
			return true
		}
	}
	return false
}

// find assumes each team role for id, as name (with the session policy
// policy, if any), and picks the notebooks the grants allow: the one named
// notebook, or all of them when notebook is empty. The role's catalog is indexed, so this costs the same however many
// notebooks the account has.
func (b *Broker) find(ctx context.Context, id abac.Identity, name string, grants []abac.Grant, notebook, policy string) (found, error) {
	f := found{teams: make(map[string]teamSession, len(grants))}
	for i := range grants {
		g := &grants[i]
		creds, err := b.assume(ctx, id, name, *g, policy)
		if err != nil {
			return found{}, err
		}
		cat, err := b.disc.catalog(ctx, g.RoleARN, creds)
		if err != nil {
			return found{}, sageMakerError("ListNotebookInstances", g.Team, "for team "+g.Team, err)
		}
		f.teams[g.Team] = teamSession{grant: *g, creds: creds, cat: cat}
		if notebook == "" {
			f.candidates = cat.allowed(f.candidates, g)
		} else if nb, ok := cat.named(notebook); ok && g.Allows(nb.Name, nb.Tags) {
			nb.Team = g.Team
			f.candidates = append(f.candidates, nb)
		}
	}
	return f, nil
}
