package awsemu

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

type notebookSummary struct {
	NotebookInstanceName   string       `json:"NotebookInstanceName"`
	NotebookInstanceArn    string       `json:"NotebookInstanceArn"`
	NotebookInstanceStatus string       `json:"NotebookInstanceStatus"`
	InstanceType           string       `json:"InstanceType"`
	URL                    string       `json:"Url"`
	CreationTime           epochSeconds `json:"CreationTime"`
	LastModifiedTime       epochSeconds `json:"LastModifiedTime"`
}

type listNotebookInstancesInput struct {
	NextToken              *string
	MaxResults             *int
	NameContains           *string
	StatusEquals           *string
	SortBy                 *string
	SortOrder              *string
	CreationTimeBefore     *float64
	CreationTimeAfter      *float64
	LastModifiedTimeBefore *float64
	LastModifiedTimeAfter  *float64
}

type listNotebookInstancesOutput struct {
	NotebookInstances []notebookSummary `json:"NotebookInstances"`
	NextToken         string            `json:"NextToken,omitempty"`
}

const defaultListPage = 10

func (e *Emulator) listNotebookInstances(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in listNotebookInstancesInput
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	var v violations
	limit := defaultListPage
	if in.MaxResults != nil {
		limit = *in.MaxResults
		if limit < 1 || limit > 100 {
			v.add(quoted(strconv.Itoa(limit)), "maxResults", "Member must have value between 1 and 100")
		}
	}
	if in.NameContains != nil && (len(*in.NameContains) > maxNotebookName || !nameFilterPattern.MatchString(*in.NameContains)) {
		v.add(quoted(*in.NameContains), "nameContains", "Member must satisfy regular expression pattern: [a-zA-Z0-9-]+ and have length less than or equal to 63")
	}
	if in.StatusEquals != nil && !isNotebookStatus(*in.StatusEquals) {
		v.add(quoted(*in.StatusEquals), "statusEquals", "Member must satisfy enum value set: ["+strings.Join(notebookStatuses, ", ")+"]")
	}
	if in.SortBy != nil && !slices.Contains([]string{"Name", "CreationTime", "Status"}, *in.SortBy) {
		v.add(quoted(*in.SortBy), "sortBy", "Member must satisfy enum value set: [Name, CreationTime, Status]")
	}
	if in.SortOrder != nil && !slices.Contains([]string{"Ascending", "Descending"}, *in.SortOrder) {
		v.add(quoted(*in.SortOrder), "sortOrder", "Member must satisfy enum value set: [Ascending, Descending]")
	}
	if len(v) > 0 {
		return nil, validationException(v.message())
	}
	offset := 0
	if in.NextToken != nil && *in.NextToken != "" {
		var ok bool
		if offset, ok = decodePageToken(*in.NextToken); !ok {
			return nil, validationException("Invalid pagination token. Use the NextToken returned by the previous call with the same filters.")
		}
	}

	e.mu.Lock()
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), check{action: "sagemaker:ListNotebookInstances", resource: "*"}); aerr != nil {
		e.mu.Unlock()
		return nil, aerr
	}
	matched := make([]*notebook, 0, len(e.notebooks))
	for _, nb := range e.notebooks {
		if in.matches(nb) {
			matched = append(matched, nb)
		}
	}
	sortNotebooks(matched, in.SortBy, in.SortOrder)
	out := listNotebookInstancesOutput{NotebookInstances: []notebookSummary{}}
	end := min(offset+limit, len(matched))
	for _, nb := range matched[min(offset, len(matched)):end] {
		out.NotebookInstances = append(out.NotebookInstances, e.summary(nb))
	}
	e.mu.Unlock()
	if end < len(matched) {
		out.NextToken = encodePageToken(end)
	}
	return out, nil
}

func (in listNotebookInstancesInput) matches(nb *notebook) bool {
	// SageMaker names are case-insensitive, so the name filter is too.
	if in.NameContains != nil && !strings.Contains(strings.ToLower(nb.Name), strings.ToLower(*in.NameContains)) {
		return false
	}
	if in.StatusEquals != nil && nb.Status != *in.StatusEquals {
		return false
	}
	within := func(t time.Time, before, after *float64) bool {
		secs := float64(t.Unix())
		return (before == nil || secs < *before) && (after == nil || secs > *after)
	}
	return within(nb.created, in.CreationTimeBefore, in.CreationTimeAfter) &&
		within(nb.lastModified, in.LastModifiedTimeBefore, in.LastModifiedTimeAfter)
}

// sortNotebooks orders by the requested key (Name by default, as AWS) and
// breaks ties by name so pages are stable.
func sortNotebooks(nbs []*notebook, by, order *string) {
	key := "Name"
	if by != nil {
		key = *by
	}
	desc := order != nil && *order == "Descending"
	sort.Slice(nbs, func(i, j int) bool {
		a, b := nbs[i], nbs[j]
		if desc {
			a, b = b, a
		}
		switch key {
		case "CreationTime":
			if !a.created.Equal(b.created) {
				return a.created.Before(b.created)
			}
		case "Status":
			if a.Status != b.Status {
				return a.Status < b.Status
			}
		}
		return strings.ToLower(a.Name) < strings.ToLower(b.Name)
	})
}

func (e *Emulator) summary(nb *notebook) notebookSummary {
	return notebookSummary{
		NotebookInstanceName:   nb.Name,
		NotebookInstanceArn:    nb.arn,
		NotebookInstanceStatus: nb.Status,
		InstanceType:           nb.InstanceType,
		URL:                    e.notebookURL(nb),
		CreationTime:           epochSeconds(nb.created),
		LastModifiedTime:       epochSeconds(nb.lastModified),
	}
}

// Page tokens are opaque to clients; an offset is enough for an emulator.
func encodePageToken(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("awsemu-page:" + strconv.Itoa(offset)))
}

func decodePageToken(tok string) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "awsemu-page:"))
	if err != nil || n < 0 || !strings.HasPrefix(string(raw), "awsemu-page:") {
		return 0, false
	}
	return n, true
}

type describeNotebookInstanceOutput struct {
	NotebookInstanceName   string       `json:"NotebookInstanceName"`
	NotebookInstanceArn    string       `json:"NotebookInstanceArn"`
	NotebookInstanceStatus string       `json:"NotebookInstanceStatus"`
	FailureReason          string       `json:"FailureReason,omitempty"`
	URL                    string       `json:"Url"`
	InstanceType           string       `json:"InstanceType"`
	SubnetID               string       `json:"SubnetId,omitempty"`
	KmsKeyID               string       `json:"KmsKeyId,omitempty"`
	DirectInternetAccess   string       `json:"DirectInternetAccess"`
	RootAccess             string       `json:"RootAccess"`
	SecurityGroups         []string     `json:"SecurityGroups,omitempty"`
	RoleArn                string       `json:"RoleArn"`
	VolumeSizeInGB         int          `json:"VolumeSizeInGB"`
	PlatformIdentifier     string       `json:"PlatformIdentifier"`
	CreationTime           epochSeconds `json:"CreationTime"`
	LastModifiedTime       epochSeconds `json:"LastModifiedTime"`
}

func (e *Emulator) describeNotebookInstance(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in struct{ NotebookInstanceName *string }
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	var v violations
	checkNotebookName(&v, in.NotebookInstanceName)
	if len(v) > 0 {
		return nil, validationException(v.message())
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	nb := e.lookupNotebookLocked(*in.NotebookInstanceName)
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r),
		e.notebookCheck("sagemaker:DescribeNotebookInstance", *in.NotebookInstanceName, nb)); aerr != nil {
		return nil, aerr
	}
	if nb == nil {
		return nil, recordNotFound
	}
	out := describeNotebookInstanceOutput{
		NotebookInstanceName:   nb.Name,
		NotebookInstanceArn:    nb.arn,
		NotebookInstanceStatus: nb.Status,
		URL:                    e.notebookURL(nb),
		InstanceType:           nb.InstanceType,
		SubnetID:               nb.SubnetID,
		KmsKeyID:               nb.KmsKeyID,
		DirectInternetAccess:   nb.DirectInternetAccess,
		RootAccess:             nb.RootAccess,
		SecurityGroups:         nb.SecurityGroups,
		RoleArn:                nb.RoleARN,
		VolumeSizeInGB:         5,
		PlatformIdentifier:     "notebook-al2-v3",
		CreationTime:           epochSeconds(nb.created),
		LastModifiedTime:       epochSeconds(nb.lastModified),
	}
	if nb.Status == "Failed" {
		out.FailureReason = nb.FailureReason
		if out.FailureReason == "" {
			out.FailureReason = "set to Failed by the emulator"
		}
	}
	return out, nil
}

type tagJSON struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type listTagsOutput struct {
	Tags      []tagJSON `json:"Tags"`
	NextToken string    `json:"NextToken,omitempty"`
}

func (e *Emulator) listTags(who *caller, body []byte, r *http.Request) (any, *apiError) {
	var in struct {
		ResourceArn *string
		MaxResults  *int
		NextToken   *string
	}
	if aerr := decodeInput(body, &in); aerr != nil {
		return nil, aerr
	}
	var v violations
	if in.ResourceArn == nil {
		v.add("null", "resourceArn", "Member must not be null")
	} else if len(*in.ResourceArn) > 256 {
		v.add(quoted(*in.ResourceArn), "resourceArn", "Member must have length less than or equal to 256")
	}
	limit := 50
	if in.MaxResults != nil {
		// ListTags pages are 50..100 tags in AWS, unlike most List calls.
		limit = *in.MaxResults
		if limit < 50 || limit > 100 {
			v.add(quoted(strconv.Itoa(limit)), "maxResults", "Member must have value between 50 and 100")
		}
	}
	if len(v) > 0 {
		return nil, validationException(v.message())
	}
	offset := 0
	if in.NextToken != nil && *in.NextToken != "" {
		var ok bool
		if offset, ok = decodePageToken(*in.NextToken); !ok {
			return nil, validationException("Invalid pagination token.")
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	// The notebook named in the ARN, if the ARN is its own (any letter
	// case): one lookup, not a scan of every notebook per call.
	var nb *notebook
	if i := strings.LastIndex(*in.ResourceArn, "/"); i >= 0 {
		if n := e.lookupNotebookLocked((*in.ResourceArn)[i+1:]); n != nil && strings.EqualFold(n.arn, *in.ResourceArn) {
			nb = n
		}
	}
	// A notebook found is authorized as itself (its ARN as AWS spells it),
	// whatever case the caller wrote: an ARN in other letters must not slip
	// past a Deny written for the real one.
	c := check{action: "sagemaker:ListTags", resource: *in.ResourceArn, context: map[string][]string{}}
	var tags []Tag
	studioARN, studioTags, isStudio := e.studioTaggedLocked(*in.ResourceArn)
	switch {
	case nb != nil:
		c.resource, tags = nb.arn, nb.tags
	case isStudio:
		c.resource, tags = studioARN, studioTags
	}
	addResourceTags(c.context, tags)
	if aerr := e.authorizeLocked("sagemaker", grantorOf(who), originOf(r), c); aerr != nil {
		return nil, aerr
	}
	if nb == nil && !isStudio {
		return nil, validationException(fmt.Sprintf("Resource %s does not exist or is not a notebook instance or Studio resource known to the emulator.", *in.ResourceArn))
	}
	out := listTagsOutput{Tags: []tagJSON{}}
	end := min(offset+limit, len(tags))
	for _, t := range tags[min(offset, len(tags)):end] {
		out.Tags = append(out.Tags, tagJSON(t))
	}
	if end < len(tags) {
		out.NextToken = encodePageToken(end)
	}
	return out, nil
}
