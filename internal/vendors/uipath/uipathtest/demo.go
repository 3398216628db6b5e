package uipathtest

import "time"

// The demo organisation that Options.Demo seeds (and worker -sandbox shows).
const (
	// DemoAccount is the demo organisation's account id.
	DemoAccount = "a1b2c3d4-0000-0000-0000-000000000001"
	// DemoAdmin is the demo user who holds the only RPADEVPRONU seat.
	DemoAdmin = "5e0c1f7a-2b4d-4c8e-9a31-7d6f0b2e4c19"
	// FullCode is the demo bundle whose pool is fully allocated.
	FullCode = "RPADEVPRONU"
	// DemoGroup is the group SeedDemoGroup adds, which allocates ATTUNU to
	// its members; DemoGroupName is its name.
	DemoGroup     = "9b1f4e2a-6c3d-4a5b-8e7f-0d1c2b3a4f5e"
	DemoGroupName = "Attended robots"
	// DemoGroupMember is the user SeedDemoGroup adds, who holds ATTUNU
	// through DemoGroup only, last used at DemoLastUse.
	DemoGroupMember = "singer-group"
)

// DemoLastUse is when DemoGroupMember last used ATTUNU.
var DemoLastUse = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

// DemoUsers are the demo organisation's users who hold nothing at the start
// (the ids of the vendor reference's example).
var DemoUsers = []string{"singer-77", "singer-88", "singer-111"}

// DemoPools are the demo organisation's pool totals.
var DemoPools = map[string]int{
	"RPADEVNU": 10,
	"ATTUNU":   25,
	"TSTNU":    5,
	FullCode:   1,
}

// seedDemo fills the demo organisation. The caller holds no lock: it runs
// before the server answers.
func (s *Server) seedDemo() {
	for code, total := range DemoPools {
		s.SetPool(DemoAccount, code, total)
	}
	for _, id := range append([]string{DemoAdmin}, DemoUsers...) {
		s.AddUser(DemoAccount, id)
	}
	s.mu.Lock()
	a := s.accounts[DemoAccount]
	admin := a.users[DemoAdmin]
	a.update(admin, func() { admin.bundles, admin.licensed = []string{FullCode}, true })
	s.mu.Unlock()
}

// SeedDemoGroup adds to the demo organisation DemoGroup and DemoGroupMember,
// who holds ATTUNU through it (one ATTUNU seat taken). Options.Demo leaves
// them out, so that the demo pools stay as they were.
func (s *Server) SeedDemoGroup() {
	s.AddUser(DemoAccount, DemoGroupMember)
	s.AddGroup(DemoAccount, DemoGroup, DemoGroupName, "ATTUNU")
	s.AddToGroup(DemoAccount, DemoGroupMember, DemoGroup)
	s.SetLastUse(DemoAccount, DemoGroupMember, "ATTUNU", DemoLastUse)
}
