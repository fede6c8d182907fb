// Package broker is how an open happens: it evaluates the team mapping for an
// identity, assumes the team role with session tags and SourceIdentity, finds
// the notebooks the grant allows, and asks SageMaker for a presigned URL. AWS
// sits behind the small interfaces declared here; the HTTP layer calls Open
// and List and turns the typed errors into pages and JSON.
package broker
