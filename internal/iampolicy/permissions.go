package iampolicy

import (
	"fmt"
	"strings"
)

// SageMaker actions the broker calls with a team session, and nothing else.
const (
	actList     = "sagemaker:ListNotebookInstances"
	actListTags = "sagemaker:ListTags"
	actDescribe = "sagemaker:DescribeNotebookInstance"
	actPresign  = "sagemaker:CreatePresignedNotebookInstanceUrl"
	// actStart is granted only to a team whose mapping sets start_stopped.
	actStart = "sagemaker:StartNotebookInstance"
)

// permissions lets the team session do what the broker does with it: list
// the notebooks and read their tags (SageMaker cannot filter the list by
// tag, so the broker reads every notebook's tags to find the team's), and
// describe and presign only the notebooks the team's grant allows. Explicit
// denies keep it so whatever else is attached to the role.
func permissions(sel selector, partition, account string, opts Options) Document {
	notebooks := notebookARN(partition, account, "*")
	targets := []string{notebooks}
	if len(sel.names) > 0 {
		targets = targets[:0]
		for _, n := range sel.names {
			targets = append(targets, notebookARNs(partition, account, n)...)
		}
	}
	broker := opts.brokerSources()

	// ListNotebookInstances has no resource type: "*" is the only resource.
	list := Statement{Sid: "ListNotebooks", Effect: "Allow", Action: []string{actList}, Resource: []string{"*"}}
	// ListTags supports the notebook-instance resource type: the account's
	// notebooks, and no tag condition, since it is how the team's are found.
	tags := Statement{Sid: "ReadNotebookTags", Effect: "Allow", Action: []string{actListTags}, Resource: []string{notebooks}}
	describe := Statement{Sid: "DescribeTeamNotebooks", Effect: "Allow", Action: []string{actDescribe}, Resource: targets}
	requireTags(&describe, sel)
	allows := []Statement{list, tags, describe}
	guarded := []string{actDescribe, actPresign}
	if sel.start {
		allows = append(allows, startAllow(sel, targets))
		guarded = append(guarded, actStart)
	}
	if len(broker) > 0 {
		for i := range allows {
			pinTo(&allows[i], broker[0])
		}
	}
	allows = append(allows, presignAllows(sel, targets, opts)...)

	denies := tagDenies(sel, notebooks, guarded)
	if len(sel.names) > 0 {
		denies = append(denies, Statement{
			Sid: "DenyOtherNotebookNames", Effect: "Deny",
			Action: guarded, NotResource: targets,
		})
	}
	if len(broker) > 0 {
		outside := Statement{
			Sid: "DenyReadsOutsideBrokerNetwork", Effect: "Deny",
			Action: []string{actList, actListTags, actDescribe}, Resource: []string{"*"},
		}
		if sel.start {
			outside.Action = append(outside.Action, actStart)
		}
		denyOutside(&outside, broker)
		denies = append(denies, outside)
	}
	if users := opts.userSources(); len(broker) > 0 && len(users) > 0 {
		outside := Statement{
			Sid: "DenyPresignOutsideNetworks", Effect: "Deny",
			Action: []string{actPresign}, Resource: []string{"*"},
		}
		denyOutside(&outside, append(broker, users...))
		denies = append(denies, outside)
	}
	return Document{Version: policyVersion, Statement: append(allows, denies...)}
}

// startAllow lets the session start the grant's notebooks, on the same tags
// as describe and presign: a team that allows starting (start_stopped) can
// start its members' own notebooks and no one else's.
func startAllow(sel selector, targets []string) Statement {
	s := Statement{Sid: "StartTeamNotebooks", Effect: "Allow", Action: []string{actStart}, Resource: targets}
	requireTags(&s, sel)
	return s
}

// presignAllows lets the session presign the grant's notebooks. Pinned, it
// is one Allow per network: the broker's, for its CreatePresignedNotebookInstanceUrl
// call, and each of the users', for the requests their browsers make with
// the URL, since AWS checks this permission on both (a condition on one
// network alone would lock the other out). Unpinned, one Allow.
func presignAllows(sel selector, targets []string, opts Options) []Statement {
	broker, users := opts.brokerSources(), opts.userSources()
	if len(broker) == 0 || len(users) == 0 {
		s := Statement{Sid: "PresignTeamNotebooks", Effect: "Allow", Action: []string{actPresign}, Resource: targets}
		requireTags(&s, sel)
		return []Statement{s}
	}
	var out []Statement
	add := func(sid string, src source) {
		s := Statement{Sid: sid, Effect: "Allow", Action: []string{actPresign}, Resource: targets}
		requireTags(&s, sel)
		pinTo(&s, src)
		out = append(out, s)
	}
	add("PresignFromBrokerNetwork", broker[0])
	for _, src := range users {
		if src.key == keySourceVpce {
			add("PresignFromUserEndpoints", src)
		} else {
			add("PresignFromUserAddresses", src)
		}
	}
	return out
}

// requireTags makes an Allow match only notebooks carrying every tag IAM
// can check with the value the broker derives.
func requireTags(s *Statement, sel selector) {
	for _, t := range sel.tags {
		s.with("StringEquals", resourceTag(t.key), t.value)
	}
}

// tagDenies refuse describe and presign on a notebook without the grant's
// tag value, one statement per tag: the conditions of one statement are
// ANDed, so a single Deny would refuse only notebooks wrong on every tag. A
// negated operator matches when the key is absent, so an untagged notebook
// is refused too.
func tagDenies(sel selector, notebooks string, actions []string) []Statement {
	var out []Statement
	sids := map[string]bool{}
	for _, t := range sel.tags {
		sid := "DenyOtherTeamsNotebooks"
		if t.key != "team" {
			sid = uniqueSid(sids, "DenyUnless"+sidPart(t.key)+"Tag")
		}
		s := Statement{Sid: sid, Effect: "Deny", Action: actions, Resource: []string{notebooks}}
		s.with("StringNotEquals", resourceTag(t.key), t.value)
		out = append(out, s)
	}
	// A policy variable with no value makes its condition match nothing,
	// the negated one above included: without this Deny a session lacking
	// the principal tag would pass every tag Deny, and another policy on
	// the role could then open any notebook to it.
	seen := map[string]bool{}
	for _, t := range sel.tags {
		key, ok := strings.CutPrefix(t.value, "${aws:PrincipalTag/")
		if !ok || seen[key] {
			continue
		}
		key = strings.TrimSuffix(key, "}")
		seen[key] = true
		s := Statement{Sid: uniqueSid(sids, "DenyWithout"+sidPart(key)+"SessionTag"), Effect: "Deny", Action: actions, Resource: []string{notebooks}}
		s.with("Null", "aws:PrincipalTag/"+key, "true")
		out = append(out, s)
	}
	return out
}

func resourceTag(key string) string { return "sagemaker:ResourceTag/" + key }

func notebookARN(partition, account, name string) string {
	return fmt.Sprintf("arn:%s:sagemaker:*:%s:notebook-instance/%s", partition, account, name)
}

// notebookARNs are the ARNs a named notebook may be authorized under.
// SageMaker lower-cases the name in a notebook's ARN, and IAM compares
// resource ARNs case-sensitively; the name as written is kept too, so the
// policy holds whichever form a request carries.
func notebookARNs(partition, account, name string) []string {
	lower := notebookARN(partition, account, strings.ToLower(name))
	if strings.ToLower(name) == name {
		return []string{lower}
	}
	return []string{lower, notebookARN(partition, account, name)}
}
