// Package kubernetes holds the broker's Kubernetes manifests (apply them with
// kubectl apply -k): this folder is the GitOps variant, the mapping a
// ConfigMap; ../kubernetes-dynamodb is a kustomize overlay of it for the
// shared store on DynamoDB. It has no code; its tests check that the
// manifests agree with the broker: flags, ports, probe routes, secret
// variables, the configuration and the mapping they carry, and the pod's
// hardening, for both variants (the overlay's patches applied as kustomize
// applies them).
package kubernetes
