package uipath

import "time"

// SetClock replaces the clock c's token cache reads, so that tests can move
// time past a token's renewal point without waiting for it.
func SetClock(c *Client, now func() time.Time) { c.tokens.now = now }
