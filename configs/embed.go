// Package configs embeds the dev stack's configuration so that
// `secds-broker --dev` runs from any directory. The other files here are
// commented examples for real deployments.
package configs

import _ "embed"

// DevTeams is the dev stack's team mapping.
//
//go:embed dev/teams.yaml
var DevTeams []byte

// DevAWS is the dev stack's AWS emulator seed.
//
//go:embed dev/aws.yaml
var DevAWS []byte
