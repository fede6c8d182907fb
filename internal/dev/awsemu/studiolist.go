package awsemu

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
)

type studioListInput struct {
	DomainIdEquals          *string
	UserProfileNameContains *string
	SpaceNameContains       *string
	MaxResults              *int
	NextToken               *string
}

// page checks the list input and returns its offset and limit.
func (in studioListInput) page() (offset, limit int, aerr *apiError) {
	var v violations
	limit = defaultListPage
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > 100 {
			v.add(quoted(strconv.Itoa(limit)), "maxResults", "Member must have value between 1 and 100")
		}
	}
	if len(v) > 0 {
		return 0, 0, validationException(v.message())
	}
	if in.NextToken != nil && *in.NextToken != "" {
		var ok bool
		if offset, ok = decodePageToken(*in.NextToken); !ok {
			return 0, 0, validationException("Invalid pagination token.")
		}
	}
	return offset, limit, nil
}

// pageOf returns the names of rs (sorted) that contain part, one page.
func pageOf(domains map[string]*domain, domainID *string, part *string, pick func(*domain) map[string]*studioResource, offset, limit int) (out []struct {
	d *domain
	r *studioResource
}, next string) {
	type item = struct {
		d *domain
		r *studioResource
	}
	var all []item
	for _, d := range domains {
		if domainID != nil && d.ID != *domainID {
			continue
		}
		for _, r := range pick(d) {
			if part == nil || strings.Contains(r.name, *part) {
				all = append(all, item{d, r})
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].d.ID != all[j].d.ID {
			return all[i].d.ID < all[j].d.ID
		}
		return all[i].r.name < all[j].r.name
	})
	end := min(offset+limit, len(all))
	if end < len(all) {
		next = encodePageToken(end)
	}
	return all[min(offset, len(all)):end], next
}

func (e *Emulator) listUserProfiles(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in studioListInput
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	offset, limit, aerr := in.page()
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// ListUserProfiles has no resource type: "*" is the only resource.
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), check{action: "sagemaker:ListUserProfiles", resource: "*"}); aerr != nil {
		return nil, aerr
	}
	type detail struct {
		DomainId, UserProfileName, Status string
		CreationTime, LastModifiedTime    epochSeconds
	}
	items, next := pageOf(e.studio.domains, in.DomainIdEquals, in.UserProfileNameContains, func(d *domain) map[string]*studioResource { return d.profiles }, offset, limit)
	out := struct {
		UserProfiles []detail
		NextToken    string `json:",omitempty"`
	}{UserProfiles: []detail{}, NextToken: next}
	for _, it := range items {
		out.UserProfiles = append(out.UserProfiles, detail{it.d.ID, it.r.name, "InService", epochSeconds(it.r.created), epochSeconds(it.r.created)})
	}
	return out, nil
}

func (e *Emulator) listSpaces(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in studioListInput
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	offset, limit, aerr := in.page()
	if aerr != nil {
		return nil, aerr
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), check{action: "sagemaker:ListSpaces", resource: "*"}); aerr != nil {
		return nil, aerr
	}
	type ownership struct {
		OwnerUserProfileName string `json:",omitempty"`
	}
	type sharing struct{ SharingType string }
	type detail struct {
		DomainId, SpaceName, Status    string
		CreationTime, LastModifiedTime epochSeconds
		OwnershipSettingsSummary       ownership
		SpaceSharingSettingsSummary    sharing
	}
	items, next := pageOf(e.studio.domains, in.DomainIdEquals, in.SpaceNameContains, func(d *domain) map[string]*studioResource { return d.spaces }, offset, limit)
	out := struct {
		Spaces    []detail
		NextToken string `json:",omitempty"`
	}{Spaces: []detail{}, NextToken: next}
	for _, it := range items {
		share := "Shared"
		if it.r.owner != "" {
			share = "Private"
		}
		out.Spaces = append(out.Spaces, detail{it.d.ID, it.r.name, "InService", epochSeconds(it.r.created), epochSeconds(it.r.created), ownership{it.r.owner}, sharing{share}})
	}
	return out, nil
}
