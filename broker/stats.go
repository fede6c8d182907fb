package broker

// CacheStats counts what the broker's caches saved, for /metrics.
type CacheStats struct {
	// Sessions: team sessions served from the credential cache (hits)
	// and AssumeRole calls made (misses), and the sessions held.
	SessionHits, SessionMisses int64
	Sessions                   int
	// Lists: opens and lists served from a cached notebook list (hits),
	// those that waited for a listing (waits), listings made (in the
	// foreground or the background) and listings that failed.
	ListHits, ListWaits, Listings, ListingFailures int64
	// Tags: ListTags reads made, and notebooks whose tags a listing took
	// from another role's recent read instead.
	TagReads, TagsShared int64
}

// CacheStats returns the counts since the broker was made.
func (b *Broker) CacheStats() CacheStats {
	d := &b.disc.stats
	return CacheStats{
		SessionHits: b.creds.hits.Load(), SessionMisses: b.creds.misses.Load(), Sessions: b.creds.len(),
		ListHits: d.hits.Load(), ListWaits: d.waits.Load(), Listings: d.listings.Load(), ListingFailures: d.failures.Load(),
		TagReads: d.tagCalls.Load(), TagsShared: d.tagsShared.Load(),
	}
}
