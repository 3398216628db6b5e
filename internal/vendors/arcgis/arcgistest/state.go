package arcgistest

import (
	"slices"
	"sort"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// FallbackUserType is the user type new members get and every organisation
// has plenty of (the adapter's default ARCGIS_RELEASE_USER_TYPE).
const FallbackUserType = "viewerUT"

// Demo organisation, seeded by Options.Demo.
const (
	// DemoAccount is the account name commands may use for the one
	// organisation.
	DemoAccount = "self"
	// DemoFullUserType is a user type with no free seat.
	DemoFullUserType = "GISProfessionalAdvUT"
	// DemoFullEntitlement is a Pro entitlement with no free seat.
	DemoFullEntitlement = "desktopStdN"
)

// DemoUsers are the demo organisation's members.
var DemoUsers = []string{"jdoe", "asmith", "bwong", "clee", "dkim"}

// userTypeNames are the display names of the user types the seed lists.
var userTypeNames = map[string]string{
	"advancedUT":             "Advanced",
	"basicUT":                "Basic",
	"creatorUT":              "Creator",
	"editorUT":               "Editor",
	"fieldWorkerUT":          "Field Worker",
	"GISProfessionalAdvUT":   "GIS Professional Advanced",
	"GISProfessionalBasicUT": "GIS Professional Basic",
	"GISProfessionalStdUT":   "GIS Professional Standard",
	"IndoorsUserUT":          "Indoors User",
	"insightsAnalystUT":      "Insights Analyst",
	"liteUT":                 "Lite",
	"standardUT":             "Standard",
	"storytellerUT":          "Storyteller",
	"viewerUT":               "Viewer",
}

// member is one organisation member: exactly one user type, and the Pro
// entitlements on the listing (nil: no access to the listing).
type member struct {
	userType     string
	entitlements []string
}

func (s *Server) seedDemo() {
	s.typeQty["creatorUT"] = 5
	s.typeQty["GISProfessionalAdvUT"] = 1
	s.entMax["desktopAdvN"] = 3
	s.entMax["desktopStdN"] = 1
	s.users["jdoe"] = &member{userType: "creatorUT", entitlements: []string{"desktopAdvN"}}
	s.users["asmith"] = &member{userType: "GISProfessionalAdvUT", entitlements: []string{"desktopStdN"}}
	s.users["bwong"] = &member{userType: "creatorUT"}
	s.users["clee"] = &member{userType: FallbackUserType}
	s.users["dkim"] = &member{userType: FallbackUserType}
}

// AddUser adds a member with userType ("" means FallbackUserType) and no Pro
// entitlement. It replaces a member of the same name.
func (s *Server) AddUser(username, userType string) {
	if userType == "" {
		userType = FallbackUserType
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[username] = &member{userType: userType}
}

// SetUserTypeQuantity sets how many seats of a user type the organisation
// purchased (0 removes the purchase).
func (s *Server) SetUserTypeQuantity(userType string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.typeQty, userType)
		return
	}
	s.typeQty[userType] = n
}

// SetEntitlementMax sets the purchased maximum of users of a Pro entitlement
// (0 removes it from the listing).
func (s *Server) SetEntitlementMax(entitlement string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.entMax, entitlement)
		return
	}
	s.entMax[entitlement] = n
}

// UserType returns the member's user type ("" for no such member).
func (s *Server) UserType(username string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.users[username]; m != nil {
		return m.userType
	}
	return ""
}

// Held returns the member's licenses in seatkeeper's codes: the user type as
// usertype:<id> and each entitlement as pro:<entitlement>.
func (s *Server) Held(username string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.users[username]
	if m == nil {
		return nil
	}
	held := []string{"usertype:" + m.userType}
	for _, e := range m.entitlements {
		held = append(held, "pro:"+e)
	}
	return held
}

// Pools returns the purchases as seatkeeper pools: one per purchased user
// type and one per Pro entitlement, assigned counted from the members.
func (s *Server) Pools() []events.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pools []events.Pool
	for t, n := range s.typeQty {
		used := s.countType(t)
		pools = append(pools, events.Pool{Code: "usertype:" + t, Total: n, Assigned: used, Free: n - used})
	}
	for e, n := range s.entMax {
		used := s.countEntitlement(e)
		pools = append(pools, events.Pool{Code: "pro:" + e, Total: n, Assigned: used, Free: n - used})
	}
	sort.Slice(pools, func(i, j int) bool { return pools[i].Code < pools[j].Code })
	return pools
}

// Writes returns how many state-changing calls reached the fake's handlers,
// refused ones included.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Requests returns every license-API call received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.Entries()
}

// LicenseReleases returns the usernames releaseLicense succeeded for, in
// order.
func (s *Server) LicenseReleases() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.releases)
}

// countType and countEntitlement need s.mu held.
func (s *Server) countType(t string) int {
	n := 0
	for _, m := range s.users {
		if m.userType == t {
			n++
		}
	}
	return n
}

func (s *Server) countEntitlement(e string) int {
	n := 0
	for _, m := range s.users {
		if slices.Contains(m.entitlements, e) {
			n++
		}
	}
	return n
}

// sortedUsers returns the member names in order; s.mu must be held.
func (s *Server) sortedUsers() []string {
	names := make([]string, 0, len(s.users))
	for n := range s.users {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
