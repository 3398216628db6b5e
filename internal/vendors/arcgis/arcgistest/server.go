// Package arcgistest is an in-process fake of the ArcGIS Online / ArcGIS
// Enterprise portal's license API, in the manner of net/http/httptest: a
// sharing REST root (generateToken, user types, ArcGIS Pro entitlements,
// purchases, members) and the Enterprise portal admin's
// license/releaseLicense.
//
// It is written from the vendor reference alone and shares nothing with the
// adapter. Like the real portal it takes forms (JSON values inside form
// fields), wants f=json, binds tokens to the referer they were issued for, and
// answers most errors with HTTP 200 and an {"error":{...}} body. Faults can be
// injected on every license-API call (every call but generateToken).
package arcgistest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// Credentials the fake accepts from generateToken.
const (
	// AdminUsername is the org administrator the adapter signs in as.
	AdminUsername = "seatkeeper-admin"
	// AdminPassword is AdminUsername's password.
	AdminPassword = "fake-arcgis-password-7f3c"
)

// ProListingID is the item id of the fake's ArcGIS Pro listing.
const ProListingID = "7d5f0b6a3c2e4f18a9b1c0d2e3f4a5b6"

// OrgID is the id of the fake's one organisation.
const OrgID = "FakeOrg0123456789"

// Paths of the two REST roots under Server.URL.
const (
	sharingRoot = "/sharing/rest"
	adminRoot   = "/portaladmin"
)

// Options configure a Server.
type Options struct {
	// Demo seeds the small demo organisation of the Demo* constants.
	Demo bool
	// Seed drives the random faults of SetFailureRate.
	Seed int64
	// KeepRequests bounds the log Requests reads: the latest KeepRequests
	// calls are kept, and at most twice as many. 0 keeps every call, which
	// a long-running fake (the worker's sandbox) cannot afford.
	KeepRequests int
	// Now is the fake's clock, for last sign-ins; nil means time.Now.
	Now func() time.Time
}

// Request is one license-API call the fake received.
type Request struct {
	Method string
	// Path is the URL path, without the query.
	Path string
	// Form holds the call's parameters (query for GET, body for POST), with
	// the token replaced by "REDACTED" so that inspection never shows one.
	Form map[string][]string
	At   time.Time
}

// Server is a running fake portal.
type Server struct {
	// URL is the server's root, e.g. http://127.0.0.1:43127.
	URL string

	srv    *httptest.Server
	faults *fakefaults.Faults

	mu         sync.Mutex
	users      map[string]*member
	typeQty    map[string]int // purchased user types and their quantities
	entMax     map[string]int // Pro entitlements and their purchased maximum
	tokens     map[string]tokenGrant
	authBroken bool
	issued     []string
	writes     int
	requests   fakefaults.Log[Request]
	releases   []string
	now        func() time.Time
	// listings are the app listings besides ArcGIS Pro (AddListing).
	listings []Listing
	proTrial bool
	// requireAppID: releaseLicense refuses a call without appId.
	requireAppID bool
	// customerEmails counts provisions that did not suppress the e-mail.
	customerEmails int
}

// New starts a fake portal. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		faults:  newFaults(opts.Seed),
		users:   make(map[string]*member),
		typeQty: make(map[string]int),
		entMax:  make(map[string]int),
		tokens:  make(map[string]tokenGrant),
		now:     time.Now,
	}
	if opts.Now != nil {
		s.now = opts.Now
	}
	s.requests.Keep = opts.KeepRequests
	// Every organisation has the user type released users fall back to.
	s.typeQty[FallbackUserType] = 1000
	if opts.Demo {
		s.seedDemo()
	}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	return s
}

// NewServer starts a fake portal that is closed when t ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// Close releases hanging requests and shuts the server down.
func (s *Server) Close() {
	s.faults.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// PortalURL is the sharing REST root, the adapter's ARCGIS_PORTAL_URL.
func (s *Server) PortalURL() string { return s.URL + sharingRoot }

// AdminURL is the Enterprise portal admin root, the adapter's
// ARCGIS_ADMIN_URL.
func (s *Server) AdminURL() string { return s.URL + adminRoot }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+sharingRoot+"/generateToken", s.generateToken)
	api := func(pattern string, h func(http.ResponseWriter, *http.Request, form)) {
		mux.Handle(pattern, s.licenseAPI(h))
	}
	api("POST "+sharingRoot+"/portals/self/updateUserLicenseType", s.updateUserLicenseType)
	api("GET "+sharingRoot+"/community/users/{user}/userLicenseType", s.userLicenseType)
	api("POST "+sharingRoot+"/content/listings/{item}/provisionUserEntitlements", s.provisionUserEntitlements)
	api("GET "+sharingRoot+"/content/listings/{item}/userEntitlements/{user}", s.userEntitlements)
	api("GET "+sharingRoot+"/content/listings/{item}/userEntitlements", s.allUserEntitlements)
	api("GET "+sharingRoot+"/portals/self/purchases", s.purchases)
	api("GET "+sharingRoot+"/portals/self/users", s.orgUsers)
	api("GET "+sharingRoot+"/portals/self/users/counts", s.userCounts)
	api("GET "+sharingRoot+"/portals/self/users/search", s.searchUsers)
	api("GET "+sharingRoot+"/community/users/{user}", s.communityUser)
	api("GET "+adminRoot+"/license", s.adminLicense)
	// The seed documents GET and shows a POST; the portal takes both.
	api("POST "+adminRoot+"/license/releaseLicense", s.releaseLicense)
	api("GET "+adminRoot+"/license/releaseLicense", s.releaseLicense)
	return mux
}

// form is a call's parameters: the query for GET, the body for POST.
type form map[string][]string

func (f form) get(k string) string {
	if v := f[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// readForm returns the call's parameters. A POST's token counts only in its
// body, as the adapter must send it there.
func readForm(r *http.Request) (form, bool) {
	if r.Method != http.MethodPost {
		return form(r.URL.Query()), true
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return nil, false
	}
	if err := r.ParseForm(); err != nil {
		return nil, false
	}
	return form(r.PostForm), true
}

// licenseAPI wraps a license-API handler: it records the call, applies the
// injected faults, insists on f=json and a valid token bound to the caller's
// referer, then calls h.
func (s *Server) licenseAPI(h func(http.ResponseWriter, *http.Request, form)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := readForm(r)
		if !ok {
			writeError(w, 400, "Unable to parse the request: a POST must be application/x-www-form-urlencoded.")
			return
		}
		s.record(r, f)
		if s.faults.Inject(w, r) {
			return
		}
		if !wantsJSON(w, f) {
			return
		}
		if !s.checkToken(w, r, f) {
			return
		}
		h(w, r, f)
	})
}

func (s *Server) record(r *http.Request, f form) {
	copied := make(map[string][]string, len(f))
	for k, v := range f {
		if k == "token" {
			v = []string{"REDACTED"}
		}
		copied[k] = append([]string(nil), v...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add(Request{Method: r.Method, Path: r.URL.Path, Form: copied, At: s.now()})
}

// wantsJSON answers an HTML page, as the portal does by default, unless the
// call asked for f=json (or pjson).
func wantsJSON(w http.ResponseWriter, f form) bool {
	switch f.get("f") {
	case "json", "pjson":
		return true
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte("<html><body><h1>ArcGIS Portal Directory</h1></body></html>"))
	return false
}

// writeJSON answers HTTP 200 with v.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers the way the sharing API does: HTTP 200 with an error
// body.
func writeError(w http.ResponseWriter, code int, message string, details ...string) {
	if details == nil {
		details = []string{}
	}
	writeJSON(w, map[string]any{"error": map[string]any{"code": code, "message": message, "details": details}})
}

// writeErrorDetail answers an error whose details is a string, the other
// form the portal uses.
func writeErrorDetail(w http.ResponseWriter, code int, message, detail string) {
	writeJSON(w, map[string]any{"error": map[string]any{"code": code, "message": message, "details": detail}})
}

// writeAdminError answers the way the portal admin API does: HTTP 200 with
// {"status":"error","messages":[...],"code":...}.
func writeAdminError(w http.ResponseWriter, code int, message string) {
	writeJSON(w, map[string]any{"status": "error", "messages": []string{message}, "code": code})
}

// writeErrorFor answers an error in the format of the API r called.
func writeErrorFor(w http.ResponseWriter, r *http.Request, code int, message string) {
	if strings.HasPrefix(r.URL.Path, adminRoot+"/") {
		writeAdminError(w, code, message)
		return
	}
	writeError(w, code, message)
}

// Settings returns the ARCGIS_* environment that points the adapter at the
// server as an Enterprise portal (drop ARCGIS_ADMIN_URL for ArcGIS Online),
// for worker -sandbox.
func (s *Server) Settings() map[string]string {
	return map[string]string{
		"ARCGIS_PORTAL_URL":     s.PortalURL(),
		"ARCGIS_ADMIN_URL":      s.AdminURL(),
		"ARCGIS_USERNAME":       AdminUsername,
		"ARCGIS_PASSWORD":       AdminPassword,
		"ARCGIS_PRO_LISTING_ID": ProListingID,
	}
}
