package licensespring

import "net/http"

// authorize sets the Management API's key header. The key is static: there
// is no token to cache or refresh, so a 401 means LicenseSpring refuses the
// key itself and the call fails with vendors.ErrAuth at once.
func (c *Client) authorize(r *http.Request) {
	r.Header.Set("Authorization", "Api-Key "+c.key.Reveal())
}
