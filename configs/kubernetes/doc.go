// Package kubernetes holds the broker's Kubernetes manifests (apply them with
// kubectl apply -k). It has no code; its test checks that the manifests agree
// with the broker: flags, ports, probe routes, secret variables, the
// configuration and the mapping they carry, and the pod's hardening.
package kubernetes
