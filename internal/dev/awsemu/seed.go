package awsemu

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Seed is the emulator's initial state: the account, the long-lived keys it
// accepts, the roles that can be assumed and the notebook instances.
type Seed struct {
	Region      string       `yaml:"region"`     // default "us-east-1"
	AccountID   string       `yaml:"account_id"` // default "123456789012"
	Credentials []Credential `yaml:"credentials"`
	Roles       []Role       `yaml:"roles"`
	Notebooks   []Notebook   `yaml:"notebooks"`
	Domains     []Domain     `yaml:"domains"` // SageMaker Studio
}

// Credential is a long-lived access key the emulator accepts, such as the
// broker's own identity (an IAM user's key, or a role principal's standing
// credentials). Its requests are authorized by its principal's identity
// policies like any other: without a policy it can do nothing.
type Credential struct {
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	// Principal is the ARN reported as the caller, e.g.
	// arn:aws:iam::123456789012:user/secds-broker.
	Principal string `yaml:"principal"`
	// Policies are the principal's identity policies (inline or attached),
	// by name, as IAM JSON documents.
	Policies map[string]string `yaml:"policies"`
}

// Role is an IAM role that can be assumed with AssumeRole.
type Role struct {
	ARN string `yaml:"arn"`
	// TrustPolicy is the role's trust policy (IAM JSON). It is required: a
	// role without one cannot be assumed, so the seed refuses it.
	TrustPolicy string `yaml:"trust_policy"`
	// Policies are the role's permission policies (inline or attached), by
	// name, as IAM JSON documents; they bound what its sessions may do.
	Policies map[string]string `yaml:"policies"`
	// MaxSessionDuration in seconds, 3600..43200; default 3600.
	MaxSessionDuration int `yaml:"max_session_duration"`
}

// Notebook is a SageMaker notebook instance.
type Notebook struct {
	Name string `yaml:"name"`
	// Status is InService, Stopped, Pending, Stopping, Failed, Deleting or
	// Updating; default InService.
	Status string `yaml:"status"`
	// FailureReason is what DescribeNotebookInstance reports for a Failed
	// notebook.
	FailureReason string            `yaml:"failure_reason"`
	InstanceType  string            `yaml:"instance_type"` // default ml.t3.medium
	Tags          map[string]string `yaml:"tags"`

	// The posture fields DescribeNotebookInstance reports; defaults are
	// AWS's ("Enabled" for both access settings).
	DirectInternetAccess string `yaml:"direct_internet_access"`
	RootAccess           string `yaml:"root_access"`
	KmsKeyID             string `yaml:"kms_key_id"`
	SubnetID             string `yaml:"subnet_id"`
	// SecurityGroups are the notebook's security group IDs (with a subnet).
	SecurityGroups []string `yaml:"security_groups"`
	// RoleARN is the notebook's execution role; default
	// arn:aws:iam::<account>:role/sagemaker-notebook-execution.
	RoleARN string `yaml:"role_arn"`
}

const (
	defaultRegion       = "us-east-1"
	defaultAccountID    = "123456789012"
	defaultInstanceType = "ml.t3.medium"
	defaultMaxSession   = 3600
)

var notebookStatuses = []string{"Pending", "InService", "Stopping", "Stopped", "Failed", "Deleting", "Updating"}

var (
	regionPattern    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	accountPattern   = regexp.MustCompile(`^\d{12}$`)
	accessKeyPattern = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	roleARNPattern   = regexp.MustCompile(`^arn:aws:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$`)
	principalPattern = regexp.MustCompile(`^arn:aws:(iam|sts)::\d{12}:[\w+=,.@/-]+$`)
	instanceTypeRE   = regexp.MustCompile(`^ml\.[a-z0-9]+\.[a-z0-9]+$`)
)

// LoadSeed reads and validates a seed YAML file.
func LoadSeed(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("read seed: %w", err)
	}
	s, err := ParseSeed(data)
	if err != nil {
		return Seed{}, fmt.Errorf("seed %s: %w", path, err)
	}
	return s, nil
}

// ParseSeed decodes a seed from YAML, rejecting unknown keys so a typo does
// not silently drop a role or a tag, fills in defaults and validates it.
func ParseSeed(data []byte) (Seed, error) {
	var s Seed
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
		return Seed{}, fmt.Errorf("parse seed: %w", err)
	}
	s = s.withDefaults()
	if err := s.validate(); err != nil {
		return Seed{}, err
	}
	return s, nil
}

// withDefaults returns a copy with empty fields set to their defaults; the
// slices are copied so the caller's seed is never modified.
func (s Seed) withDefaults() Seed {
	if s.Region == "" {
		s.Region = defaultRegion
	}
	if s.AccountID == "" {
		s.AccountID = defaultAccountID
	}
	s.Credentials = append([]Credential(nil), s.Credentials...)
	for i := range s.Credentials {
		s.Credentials[i].Policies = maps.Clone(s.Credentials[i].Policies)
	}
	s.Roles = append([]Role(nil), s.Roles...)
	for i := range s.Roles {
		s.Roles[i].Policies = maps.Clone(s.Roles[i].Policies)
		if s.Roles[i].MaxSessionDuration == 0 {
			s.Roles[i].MaxSessionDuration = defaultMaxSession
		}
	}
	s.Domains = domainDefaults(s.Domains)
	s.Notebooks = append([]Notebook(nil), s.Notebooks...)
	for i := range s.Notebooks {
		nb := &s.Notebooks[i]
		if nb.Status == "" {
			nb.Status = "InService"
		}
		if nb.InstanceType == "" {
			nb.InstanceType = defaultInstanceType
		}
		if nb.DirectInternetAccess == "" {
			nb.DirectInternetAccess = "Enabled"
		}
		if nb.RootAccess == "" {
			nb.RootAccess = "Enabled"
		}
		if nb.RoleARN == "" {
			nb.RoleARN = "arn:aws:iam::" + s.AccountID + ":role/sagemaker-notebook-execution"
		}
	}
	return s
}

// validate reports every problem at once so a broken seed is fixed in one edit.
func (s Seed) validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if !regionPattern.MatchString(s.Region) {
		add("region %q: not a region name like us-east-1", s.Region)
	}
	if !accountPattern.MatchString(s.AccountID) {
		add("account_id %q: must be 12 digits", s.AccountID)
	}

	keys := map[string]bool{}
	for i, c := range s.Credentials {
		at := fmt.Sprintf("credentials[%d]", i)
		switch {
		case !accessKeyPattern.MatchString(c.AccessKeyID):
			add("%s.access_key_id %q: must be 16-128 upper-case letters and digits", at, c.AccessKeyID)
		case strings.HasPrefix(c.AccessKeyID, "ASIA"):
			// ASIA marks temporary keys; the emulator mints those itself.
			add("%s.access_key_id %q: the ASIA prefix is reserved for session credentials", at, c.AccessKeyID)
		case keys[c.AccessKeyID]:
			add("%s.access_key_id %q: duplicate", at, c.AccessKeyID)
		}
		keys[c.AccessKeyID] = true
		if len(c.SecretAccessKey) < 16 {
			add("%s.secret_access_key: must be at least 16 characters", at)
		}
		if !principalPattern.MatchString(c.Principal) {
			add("%s.principal %q: must be an IAM ARN like arn:aws:iam::123456789012:user/name", at, c.Principal)
		}
		if _, err := parsePolicies(c.Policies); err != nil {
			add("%s (%s).policies: %w", at, c.Principal, err)
		}
	}

	roles := map[string]bool{}
	for i, r := range s.Roles {
		at := fmt.Sprintf("roles[%d]", i)
		if !roleARNPattern.MatchString(r.ARN) {
			add("%s.arn %q: must be a role ARN like arn:aws:iam::123456789012:role/name", at, r.ARN)
		} else if roles[r.ARN] {
			add("%s.arn %q: duplicate", at, r.ARN)
		}
		roles[r.ARN] = true
		if r.MaxSessionDuration < 3600 || r.MaxSessionDuration > 43200 {
			add("%s.max_session_duration %d: must be 3600..43200 seconds", at, r.MaxSessionDuration)
		}
		if _, err := parseTrust(r.TrustPolicy); err != nil {
			add("%s (%s).trust_policy: %w", at, r.ARN, err)
		}
		if _, err := parsePolicies(r.Policies); err != nil {
			add("%s (%s).policies: %w", at, r.ARN, err)
		}
	}

	names := map[string]bool{}
	for i, nb := range s.Notebooks {
		at := fmt.Sprintf("notebooks[%d]", i)
		if msg := notebookNameProblem(nb.Name); msg != "" {
			add("%s.name %q: %s", at, nb.Name, msg)
		} else if names[strings.ToLower(nb.Name)] {
			// SageMaker names are unique regardless of case (the ARN is lower-cased).
			add("%s.name %q: duplicate", at, nb.Name)
		}
		names[strings.ToLower(nb.Name)] = true
		if !isNotebookStatus(nb.Status) {
			add("%s.status %q: must be one of %s", at, nb.Status, strings.Join(notebookStatuses, ", "))
		}
		if !instanceTypeRE.MatchString(nb.InstanceType) {
			add("%s.instance_type %q: must look like ml.t3.medium", at, nb.InstanceType)
		}
		for _, f := range []struct{ key, v string }{{"direct_internet_access", nb.DirectInternetAccess}, {"root_access", nb.RootAccess}} {
			if f.v != "Enabled" && f.v != "Disabled" {
				add("%s.%s %q: must be Enabled or Disabled", at, f.key, f.v)
			}
		}
		if len(nb.Tags) > 50 {
			add("%s.tags: at most 50 tags", at)
		}
		for k, v := range nb.Tags {
			if msg := tagKeyProblem(k); msg != "" {
				add("%s.tags[%q]: %s", at, k, msg)
			}
			if msg := tagValueProblem(v); msg != "" {
				add("%s.tags[%q] value: %s", at, k, msg)
			}
		}
	}
	validateDomains(s.Domains, add)
	return errors.Join(errs...)
}

func isNotebookStatus(s string) bool {
	for _, v := range notebookStatuses {
		if s == v {
			return true
		}
	}
	return false
}
