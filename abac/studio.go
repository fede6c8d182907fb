package abac

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	domainIDRE   = regexp.MustCompile(`^d-[a-z0-9]{12}$`)
	landingURIRE = regexp.MustCompile(`^(studio::.*|app:(JupyterServer|JupyterLab|RStudioServerPro|CodeEditor|Canvas):.*)$`)
)

type studioValues struct {
	domainID, landingURI string
	userProfile, space   *value
}

func (s *studioValues) render(id Identity) (*StudioTarget, error) {
	up, err := s.userProfile.render(id)
	if err != nil {
		return nil, fmt.Errorf("studio user profile %w", err)
	}
	st := &StudioTarget{DomainID: s.domainID, UserProfile: studioName(up), LandingURI: s.landingURI}
	if s.space != nil {
		sp, err := s.space.render(id)
		if err != nil {
			return nil, fmt.Errorf("studio space %w", err)
		}
		st.Space = studioName(sp)
	}
	return st, nil
}

// studioName maps a rendered value onto SageMaker's user profile and space
// name characters ([a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}).
func studioName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() == 63 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else if b.Len() > 0 {
			b.WriteByte('-')
		}
	}
	return strings.TrimRight(b.String(), "-")
}

func (v *validator) studio(s *Studio, path ...any) *studioValues {
	if !domainIDRE.MatchString(s.DomainID) {
		v.at(fmt.Sprintf("studio.domain_id %q is not a SageMaker domain ID (d- and 12 lowercase letters or digits)", s.DomainID), append(path, "domain_id")...)
	}
	if s.LandingURI != "" && !landingURIRE.MatchString(s.LandingURI) {
		v.at(fmt.Sprintf("studio.landing_uri %q must start with studio:: or app:<JupyterLab|JupyterServer|CodeEditor|RStudioServerPro|Canvas>:", s.LandingURI), append(path, "landing_uri")...)
	}
	out := &studioValues{domainID: s.DomainID, landingURI: s.LandingURI}
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
