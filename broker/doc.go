// Package broker is how an open happens: it evaluates the team mapping for an
// identity, assumes the team role with session tags and SourceIdentity, finds
// the notebooks the grant allows, and asks SageMaker for a presigned URL; or,
// for a team with a Studio domain, checks the person's user profile and space
// by their tags and presigns the domain (OpenStudio). AWS sits behind the
// small interfaces declared here; the HTTP layer calls Open, OpenStudio and
// List and turns the typed errors into pages and JSON.
package broker
