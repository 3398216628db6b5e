package m365test

import (
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// sku is one subscribed SKU of the tenant.
type sku struct {
	id        string
	part      string
	enabled   int
	suspended int
	warning   int
	external  int    // seats taken by users the fake does not model
	appliesTo string // "User", or "Company" for a tenant-wide SKU
}

// user is one directory user.
type user struct {
	id            string
	upn           string
	displayName   string
	mail          string
	usageLocation string
	direct        map[string]bool   // skuId → assigned directly
	group         map[string]string // skuId → the group it is inherited from
	lastSignIn    time.Time         // zero: never signed in
}

func (u *user) holds(skuID string) bool { return u.direct[skuID] || u.group[skuID] != "" }

// User describes a user to add.
type User struct {
	// ID is the object id; empty: derived from UPN.
	ID string
	// UPN is the user principal name.
	UPN string
	// Mail is the user's e-mail; empty means the UPN.
	Mail        string
	DisplayName string
	// UsageLocation is the two-letter country code; empty means none, and
	// Graph then refuses to assign the user a license.
	UsageLocation string
}

// guidFor derives a stable GUID from a name.
func guidFor(kind, name string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + strings.ToLower(name)))
	h[6] = h[6]&0x0f | 0x40 // version 4
	h[8] = h[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// AddUser adds u and returns its object id.
func (s *Server) AddUser(u User) string {
	if u.ID == "" {
		u.ID = guidFor("user", u.UPN)
	}
	if u.DisplayName == "" {
		u.DisplayName, _, _ = strings.Cut(u.UPN, "@")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Mail == "" {
		u.Mail = u.UPN
	}
	s.users = append(s.users, &user{id: strings.ToLower(u.ID), upn: u.UPN, displayName: u.DisplayName, mail: u.Mail,
		usageLocation: u.UsageLocation, direct: map[string]bool{}, group: map[string]string{}})
	return strings.ToLower(u.ID)
}

// SetUsageLocation sets (or, with "", clears) a user's usage location.
func (s *Server) SetUsageLocation(userID, location string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(userID).usageLocation = location
}

// AddSKU subscribes the tenant to a SKU with enabled seats, of which taken
// are used by people the fake does not model, and returns its skuId. A
// known part number keeps its real skuId; others get a derived one.
func (s *Server) AddSKU(part string, enabled, taken int) string {
	id, ok := knownSKUs[part]
	if !ok {
		id = guidFor("sku", part)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skus = append(s.skus, &sku{id: id, part: part, enabled: enabled, external: taken, appliesTo: "User"})
	return id
}

// SetUnits sets a SKU's prepaid units: enabled, suspended (a lapsed
// subscription, whose seats still count as consumed) and warning (in the
// grace period before suspension).
func (s *Server) SetUnits(part string, enabled, suspended, warning int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.mustSKU(part)
	k.enabled, k.suspended, k.warning = enabled, suspended, warning
}

// SetCompanyWide marks a SKU as applying to the company, not to users.
func (s *Server) SetCompanyWide(part string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustSKU(part).appliesTo = "Company"
}

// SetLastSignIn sets when a user last signed in (signInActivity); the
// zero time means never.
func (s *Server) SetLastSignIn(userID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(userID).lastSignIn = at
}

// SetSeats changes a SKU's enabled seat count.
func (s *Server) SetSeats(part string, enabled int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustSKU(part).enabled = enabled
}

// Grant assigns a SKU to a user directly, with no checks.
func (s *Server) Grant(userID, part string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(userID).direct[s.mustSKU(part).id] = true
}

// GrantFromGroup makes a user inherit a SKU from the group groupID (an
// object id): Graph shows it held but refuses to remove it from the user
// directly.
func (s *Server) GrantFromGroup(userID, part, groupID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(userID).group[s.mustSKU(part).id] = strings.ToLower(groupID)
}

// HeldDirect returns the part numbers assigned to a user directly, sorted.
func (s *Server) HeldDirect(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findUser(userID)
	if u == nil {
		return nil
	}
	var out []string
	for _, k := range s.skus {
		if u.direct[k.id] {
			out = append(out, k.part)
		}
	}
	slices.Sort(out)
	return out
}

// Held returns the part numbers a user holds (directly or from a group),
// sorted; nil for an unknown user.
func (s *Server) Held(userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.findUser(userID)
	if u == nil {
		return nil
	}
	var out []string
	for _, k := range s.skus {
		if u.holds(k.id) {
			out = append(out, k.part)
		}
	}
	slices.Sort(out)
	return out
}

// Pools returns the tenant's user pools: every SKU that applies to users,
// its enabled units, the consumed ones, the free ones (never fewer than
// none: a suspended subscription may have fewer enabled units than are
// consumed) and the units in suspension and in warning.
func (s *Server) Pools() []events.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []events.Pool
	for _, k := range s.skus {
		if k.appliesTo == "Company" {
			continue
		}
		used := s.consumed(k)
		out = append(out, events.Pool{Code: k.part, Total: k.enabled, Assigned: used, Free: max(k.enabled-used, 0),
			Suspended: k.suspended, Warning: k.warning})
	}
	return out
}

// consumed counts a SKU's used seats. The caller holds s.mu.
func (s *Server) consumed(k *sku) int {
	n := k.external
	for _, u := range s.users {
		if u.holds(k.id) {
			n++
		}
	}
	return n
}

// findUser looks a user up by object id or UPN. The caller holds s.mu.
func (s *Server) findUser(ref string) *user {
	for _, u := range s.users {
		if strings.EqualFold(u.id, ref) || strings.EqualFold(u.upn, ref) {
			return u
		}
	}
	return nil
}

func (s *Server) mustUser(ref string) *user {
	if u := s.findUser(ref); u != nil {
		return u
	}
	panic("m365test: no user " + ref)
}

// skuByID finds a SKU by skuId. The caller holds s.mu.
func (s *Server) skuByID(id string) *sku {
	for _, k := range s.skus {
		if strings.EqualFold(k.id, id) {
			return k
		}
	}
	return nil
}

func (s *Server) mustSKU(part string) *sku {
	for _, k := range s.skus {
		if k.part == part {
			return k
		}
	}
	panic("m365test: no SKU " + part)
}

// knownSKUs are real skuIds of common SKUs, so demo data looks familiar.
var knownSKUs = map[string]string{
	"ENTERPRISEPACK": "6fd2c87f-b296-42f0-b197-1e91e994b900",
	"SPE_E3":         "05e9a617-0261-4cee-bb44-138d3ef5d965",
	"POWER_BI_PRO":   "f8a1db68-be16-40ed-86d5-cb42ce701560",
	"VISIOCLIENT":    "c5928f49-12ba-48f7-ada3-0d743a3601d5",
}

// The demo organisation (Options.Demo).
const (
	// DemoAccount is the demo tenant (the only one).
	DemoAccount = TenantID
	// DemoAdele holds ENTERPRISEPACK.
	DemoAdele = "adele.vance@contoso.example"
	// DemoAlex holds nothing.
	DemoAlex = "alex.wilber@contoso.example"
	// DemoMegan holds POWER_BI_PRO.
	DemoMegan = "megan.bowen@contoso.example"
	// DemoLee has no usage location: assigning to him is refused.
	DemoLee = "lee.gu@contoso.example"
	// DemoDiego inherits ENTERPRISEPACK from DemoGroup: removing it from
	// him directly is refused. He holds POWER_BI_PRO directly.
	DemoDiego = "diego.siciliani@contoso.example"
	// DemoGroup is the object id of the group that licenses DemoDiego.
	DemoGroup = "3f6c2a1e-8b4d-4e7f-9a0c-5d2e1b3c4f6a"
	// DemoDollar's UPN starts with $: Graph addresses it as users('...').
	DemoDollar = "$svc-backup@contoso.example"

	// DemoE3 (Office 365 E3) has free seats.
	DemoE3 = "ENTERPRISEPACK"
	// DemoM365E3 (Microsoft 365 E3) has free seats.
	DemoM365E3 = "SPE_E3"
	// DemoPowerBI has free seats.
	DemoPowerBI = "POWER_BI_PRO"
	// DemoVisio has no free seat.
	DemoVisio = "VISIOCLIENT"
)

// DemoUsers are the demo organisation's users.
var DemoUsers = []string{DemoAdele, DemoAlex, DemoMegan, DemoLee, DemoDiego, DemoDollar}

func (s *Server) seedDemo() {
	s.AddSKU(DemoE3, 25, 20)
	s.AddSKU(DemoM365E3, 10, 7)
	s.AddSKU(DemoPowerBI, 5, 2)
	s.AddSKU(DemoVisio, 2, 2)
	for _, u := range []User{
		{UPN: DemoAdele, DisplayName: "Adele Vance", UsageLocation: "US"},
		{UPN: DemoAlex, DisplayName: "Alex Wilber", UsageLocation: "US"},
		{UPN: DemoMegan, DisplayName: "Megan Bowen", UsageLocation: "GB"},
		{UPN: DemoLee, DisplayName: "Lee Gu"},
		{UPN: DemoDiego, DisplayName: "Diego Siciliani", UsageLocation: "DE"},
		{UPN: DemoDollar, DisplayName: "Backup service", Mail: "svc-backup@contoso.example", UsageLocation: "US"},
	} {
		s.AddUser(u)
	}
	s.Grant(DemoAdele, DemoE3)
	s.Grant(DemoMegan, DemoPowerBI)
	s.GrantFromGroup(DemoDiego, DemoE3, DemoGroup)
	s.Grant(DemoDiego, DemoPowerBI)
}
