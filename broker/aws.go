package broker

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STSAPI is the part of STS the broker uses; *sts.Client satisfies it.
type STSAPI interface {
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// SageMakerAPI is the part of SageMaker the broker uses; *sagemaker.Client
// satisfies it. Every call carries the team session's credentials as a
// per-call option, so one client serves every team.
type SageMakerAPI interface {
	ListNotebookInstances(ctx context.Context, in *sagemaker.ListNotebookInstancesInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListNotebookInstancesOutput, error)
	ListTags(ctx context.Context, in *sagemaker.ListTagsInput, optFns ...func(*sagemaker.Options)) (*sagemaker.ListTagsOutput, error)
	DescribeNotebookInstance(ctx context.Context, in *sagemaker.DescribeNotebookInstanceInput, optFns ...func(*sagemaker.Options)) (*sagemaker.DescribeNotebookInstanceOutput, error)
	CreatePresignedNotebookInstanceUrl(ctx context.Context, in *sagemaker.CreatePresignedNotebookInstanceUrlInput, optFns ...func(*sagemaker.Options)) (*sagemaker.CreatePresignedNotebookInstanceUrlOutput, error)
	// StartNotebookInstance is called only for teams with start_stopped.
	StartNotebookInstance(ctx context.Context, in *sagemaker.StartNotebookInstanceInput, optFns ...func(*sagemaker.Options)) (*sagemaker.StartNotebookInstanceOutput, error)
}

// as makes a SageMaker call with a team session's credentials instead of the
// broker's own, which only need sts:AssumeRole.
func as(creds aws.Credentials) func(*sagemaker.Options) {
	return func(o *sagemaker.Options) {
		o.Credentials = credentials.StaticCredentialsProvider{Value: creds}
	}
}
