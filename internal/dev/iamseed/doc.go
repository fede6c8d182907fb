// Package iamseed gives the AWS emulator (internal/dev/awsemu) the IAM
// policies `secds admin iam` generates (internal/iampolicy) for a team
// mapping: each team role's trust and permission policies and the broker
// principal's identity policy. The dev stack, the end-to-end stacks, the
// broker's tests and `secds-awsemu --mapping` seed the emulator through it,
// so every test proves the generated policies rather than a hand-written
// stand-in, and Follow keeps the emulator's IAM in step with an edited
// mapping, as an admin applying the new policies would.
package iamseed
