package broker

// SessionPolicy exposes a pin's session policy for a client address.
func SessionPolicy(p *Pin, clientIP string) (string, error) { return p.sessionPolicy(clientIP) }
