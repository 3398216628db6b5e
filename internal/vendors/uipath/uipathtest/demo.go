package uipathtest

// The demo organisation that Options.Demo seeds (and worker -sandbox shows).
const (
	// DemoAccount is the demo organisation's account id.
	DemoAccount = "a1b2c3d4-0000-0000-0000-000000000001"
	// DemoAdmin is the demo user who holds the only RPADEVPRONU seat.
	DemoAdmin = "5e0c1f7a-2b4d-4c8e-9a31-7d6f0b2e4c19"
	// FullCode is the demo bundle whose pool is fully allocated.
	FullCode = "RPADEVPRONU"
)

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

func (s *Server) seedDemo() {
	a := s.accountLocked(DemoAccount)
	for code, total := range DemoPools {
		a.pools[code] = total
	}
	for _, id := range DemoUsers {
		a.users[id] = &user{}
	}
	a.users[DemoAdmin] = &user{}
	a.setBundles(a.users[DemoAdmin], []string{FullCode})
}
