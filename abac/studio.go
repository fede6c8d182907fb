package abac

import (
	"fmt"
	"regexp"
)

var (
	domainIDRE   = regexp.MustCompile(`^d-[a-z0-9]{12}$`)
	studioNameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	landingURIRE = regexp.MustCompile(`^(studio::.*|app:(JupyterServer|JupyterLab|RStudioServerPro|CodeEditor|Canvas):.*)$`)
)

type studioValues struct {
	domainID, landingURI string
	userProfile, space   *value
	create               bool
}

func (s *studioValues) render(id Identity) (*StudioTarget, error) {
	up, err := s.userProfile.render(id)
	if err == nil {
		err = studioName("user_profile", up)
	}
	if err != nil {
		return nil, fmt.Errorf("studio %w", err)
	}
	st := &StudioTarget{DomainID: s.domainID, UserProfile: up, LandingURI: s.landingURI, CreateUserProfile: s.create}
	if s.space != nil {
		sp, err := s.space.render(id)
		if err == nil {
			err = studioName("space", sp)
		}
		if err != nil {
			return nil, fmt.Errorf("studio %w", err)
		}
		st.Space = sp
	}
	return st, nil
}

// studioName refuses a rendered value that is not a SageMaker user profile or
// space name. It is not changed to fit: "al.ice" and "al ice" would both
// become "al-ice", which is a third person's profile.
func studioName(name, s string) error {
	if !studioNameRE.MatchString(s) {
		return &ValueError{Name: name, Value: s, Problem: "is not a SageMaker Studio name (1–63 letters, digits and hyphens, starting and ending with a letter or digit)"}
	}
	return nil
}

func (v *validator) studio(s *Studio, path ...any) *studioValues {
	if !domainIDRE.MatchString(s.DomainID) {
		v.at(fmt.Sprintf("studio.domain_id %q is not a SageMaker domain ID (d- and 12 lowercase letters or digits)", s.DomainID), append(path, "domain_id")...)
	}
	if s.LandingURI != "" && !landingURIRE.MatchString(s.LandingURI) {
		v.at(fmt.Sprintf("studio.landing_uri %q must start with studio:: or app:<JupyterLab|JupyterServer|CodeEditor|RStudioServerPro|Canvas>:", s.LandingURI), append(path, "landing_uri")...)
	}
	out := &studioValues{domainID: s.DomainID, landingURI: s.LandingURI, create: s.CreateUserProfile}
	if s.UserProfile == "" {
		v.at("studio.user_profile is required (for example \"{{.Username}}\")", path...)
	} else if up, err := compileValue("user_profile", s.UserProfile); err != nil {
		v.at(err.Error(), append(path, "user_profile")...)
	} else {
		out.userProfile = up
	}
	if s.Space != "" {
		sp, err := compileValue("space", s.Space)
		if err != nil {
			v.at(err.Error(), append(path, "space")...)
		}
		out.space = sp
	}
	return out
}
