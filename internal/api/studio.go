package api

// Codes of opening SageMaker Studio (broker).
const (
	CodeNoStudio              Code = "no_studio"      // none of the person's teams has a studio setting
	CodeChooseStudio          Code = "choose_studio"  // several teams have one: name the team
	CodeStudioNotIAM          Code = "studio_not_iam" // the domain signs in with IAM Identity Center, not IAM
	CodeStudioDomainNotFound  Code = "studio_domain_not_found"
	CodeNoStudioProfile       Code = "no_studio_profile" // the person has no user profile, and the team does not create one
	CodeStudioProfileNotYours Code = "studio_profile_not_yours"
	CodeStudioSpaceNotFound   Code = "studio_space_not_found" // also for a space that exists but is not the person's
	CodeBadStudioName         Code = "bad_studio_name"
)

func init() {
	for c, title := range map[Code]string{
		CodeNoStudio:              "No SageMaker Studio for you",
		CodeChooseStudio:          "Several teams have SageMaker Studio",
		CodeStudioNotIAM:          "This Studio domain cannot be opened by secds",
		CodeStudioDomainNotFound:  "The Studio domain was not found",
		CodeNoStudioProfile:       "No Studio user profile for you yet",
		CodeStudioProfileNotYours: "The Studio user profile is not tagged for you",
		CodeStudioSpaceNotFound:   "That Studio space is not yours",
		CodeBadStudioName:         "That is not a Studio space name",
	} {
		pages[c] = page{title: title}
	}
}

// Studio is one SageMaker Studio target the broker lists: a team's domain
// and the person's user profile there, with the spaces they may open.
type Studio struct {
	Team        string   `json:"team"`
	DomainID    string   `json:"domain_id"`
	UserProfile string   `json:"user_profile"`
	Spaces      []string `json:"spaces,omitempty"`
	// Problem says why it cannot be opened now (a domain not in IAM mode,
	// no profile yet, requirements an enforce-mode team sets); the open
	// would be refused with the same words.
	Problem *Problem `json:"problem,omitempty"`
	// Compliance is the domain against the team's studio requirements;
	// absent when the team has none.
	Compliance *Compliance `json:"compliance,omitempty"`
}

// StudioOpened is what POST /api/v1/open with studio opened.
type StudioOpened struct {
	DomainID    string `json:"domain_id"`
	UserProfile string `json:"user_profile"`
	Space       string `json:"space,omitempty"`
}
