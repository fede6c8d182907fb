package api

// OpenWaitResponse is the 202 answer of POST /api/v1/open when the notebook
// is not running yet: it is starting (this open may have started it), or
// stopping before a start. No URL is minted until it is InService (a URL
// lives five minutes): poll StatusPath until Ready (or Start, after a
// stop), then POST /api/v1/open again.
type OpenWaitResponse struct {
	Team     string `json:"team"`
	Notebook string `json:"notebook"`
	Status   string `json:"status"` // Pending, Updating or Stopping
	// StatusPath is the status endpoint, under the API base:
	// /notebooks/NAME?team=TEAM.
	StatusPath        string `json:"status_path"`
	RetryAfterSeconds int    `json:"retry_after_seconds"`
}

// NotebookStatus is the answer of GET /api/v1/notebooks/{name}?team=: the
// notebook's state, to wait for it. A notebook that cannot be waited for
// (not the caller's, Failed, Deleting, stopped in a team that does not
// start notebooks) is an error, as for POST /api/v1/open.
type NotebookStatus struct {
	Team     string `json:"team"`
	Notebook string `json:"notebook"`
	Status   string `json:"status"`
	// Ready: it is InService; POST /api/v1/open returns its URL.
	Ready bool `json:"ready"`
	// Start: it is Stopped and its team starts notebooks; POST
	// /api/v1/open starts it.
	Start bool `json:"start"`
}
