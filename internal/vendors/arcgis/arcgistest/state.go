package arcgistest

import (
	"slices"
	"sort"
	"time"

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
	email        string
	// lastLogin is the member's last sign-in; proLastLogin its last
	// sign-in to ArcGIS Pro. Zero: never (the API's -1).
	lastLogin    time.Time
	proLastLogin time.Time
	// disconnected: the member's Pro license is checked out for offline
	// use, which only releaseLicense frees.
	disconnected bool
}

// Listing is an app listing the organisation holds licenses of besides
// ArcGIS Pro (AddListing).
type Listing struct {
	ItemID, Title string
	// Entitlements are the listing's entitlements and their purchased
	// numbers of users.
	Entitlements map[string]int
	// Trial marks a trial, listed under "trials" rather than "purchases".
	Trial bool
}

func (s *Server) seedDemo() {
	defer func() {
		day := 24 * time.Hour
		s.users["jdoe"].lastLogin, s.users["jdoe"].proLastLogin = s.now().Add(-2*time.Hour), s.now().Add(-3*day)
		s.users["asmith"].lastLogin, s.users["asmith"].proLastLogin = s.now().Add(-40*day), s.now().Add(-90*day)
		s.users["asmith"].disconnected = true
		s.listings = append(s.listings, Listing{ItemID: "b1e2c3d4a5f60718293a4b5c6d7e8f90", Title: "ArcGIS GeoPlanner",
			Entitlements: map[string]int{"geoplannerN": 10}, Trial: true})
		for _, u := range DemoUsers {
			s.users[u].email = u + "@demo.example.com"
		}
	}()
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
	s.users[username] = &member{userType: userType, email: username + "@example.com"}
}

// SetEmail sets the member's e-mail (e-mails need not be unique).
func (s *Server) SetEmail(username, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.users[username]; m != nil {
		m.email = email
	}
}

// SetLastLogin sets the member's last sign-in (zero: never), the last use
// of its user type.
func (s *Server) SetLastLogin(username string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.users[username]; m != nil {
		m.lastLogin = at
	}
}

// SetProLastLogin sets the member's last sign-in to ArcGIS Pro (zero:
// never), the last use of its Pro entitlements.
func (s *Server) SetProLastLogin(username string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.users[username]; m != nil {
		m.proLastLogin = at
	}
}

// SetDisconnected marks the member's Pro license as checked out for
// offline use (or not).
func (s *Server) SetDisconnected(username string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.users[username]; m != nil {
		m.disconnected = on
	}
}

// Disconnected reports whether the member's Pro license is checked out.
func (s *Server) Disconnected(username string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.users[username]
	return m != nil && m.disconnected
}

// AddListing adds an app listing besides ArcGIS Pro to the purchases (or,
// marked Trial, to the trials).
func (s *Server) AddListing(l Listing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listings = append(s.listings, l)
}

// RequireAppID makes releaseLicense refuse a call without appId, as newer
// portals take one.
func (s *Server) RequireAppID(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requireAppID = on
}

// SetProTrial makes the ArcGIS Pro purchase a trial.
func (s *Server) SetProTrial(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.proTrial = on
}

// CustomerEmails returns how many provisionUserEntitlements calls did not
// ask suppressCustomerEmail=true: each would have e-mailed its users.
func (s *Server) CustomerEmails() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.customerEmails
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

// Pools returns the organisation's licenses as seatkeeper pools, as an
// Enterprise portal shows them: one per licensed user type, one per Pro
// entitlement, one per entitlement of another listing
// (listing:<itemId>:<entitlement>); assigned counted from the members.
func (s *Server) Pools() []events.Pool { return s.pools(false) }

// PoolsOnline returns Pools as ArcGIS Online shows them: the user types'
// totals unknown, since ArcGIS Online does not tell them.
func (s *Server) PoolsOnline() []events.Pool { return s.pools(true) }

func (s *Server) pools(online bool) []events.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pools []events.Pool
	for t, n := range s.typeQty {
		used := s.countType(t)
		p := events.Pool{Code: "usertype:" + t, Total: n, Assigned: used, Free: max(n-used, 0)}
		if online && used == 0 {
			continue // nothing tells of a user type nobody holds
		}
		if online {
			p.Total, p.Free, p.TotalUnknown = 0, 0, true
		}
		pools = append(pools, p)
	}
	for e, n := range s.entMax {
		used := s.countEntitlement(e)
		pools = append(pools, events.Pool{Code: "pro:" + e, Total: n, Assigned: used, Free: max(n-used, 0), Trial: s.proTrial})
	}
	for _, l := range s.listings {
		for e, n := range l.Entitlements {
			pools = append(pools, events.Pool{Code: "listing:" + l.ItemID + ":" + e, Total: n, Free: n, Trial: l.Trial})
		}
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
