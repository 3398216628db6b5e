package msp360test

import "time"

// DemoAccount is the account name of the demo organisation: MSP360 has one
// provider account per configuration, which the adapter calls "default".
const DemoAccount = "default"

// Demo users (MBS user ids) of Options.Demo.
const (
	DemoUserAlice = "a11ce000-0000-4000-8000-000000000001"
	DemoUserBob   = "b0b00000-0000-4000-8000-000000000002"
	DemoUserCarol = "ca201000-0000-4000-8000-000000000003"
	DemoUserDave  = "da7e0000-0000-4000-8000-000000000004"
)

// DemoUsers lists the demo users.
var DemoUsers = []string{DemoUserAlice, DemoUserBob, DemoUserCarol, DemoUserDave}

// Demo license types (license codes) of Options.Demo.
const (
	// DemoCodeDesktop has 6 live licenses (one of them a trial), 2 held,
	// and one expired license besides.
	DemoCodeDesktop = "Desktop"
	// DemoCodeServer has 3 licenses, one held by Carol and bound to her
	// server.
	DemoCodeServer = "Server"
	// DemoCodeUltimate has 2 free licenses.
	DemoCodeUltimate = "Ultimate"
	// DemoCodeFull is the full pool: 2 licenses, both held.
	DemoCodeFull = "SQL Server"
)

// seedDemo adds the demo organisation. Alice holds Desktop and SQL Server,
// Bob Desktop, Carol Server, Dave SQL Server.
func (s *Server) seedDemo() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addUserLocked(DemoUserAlice, "alice@demo.example")
	s.addUserLocked(DemoUserBob, "bob@demo.example")
	s.addUserLocked(DemoUserCarol, "carol@demo.example")
	s.addUserLocked(DemoUserDave, "dave@demo.example")

	year := s.now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	month := s.now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	lapsed := s.now().Add(-30 * 24 * time.Hour).UTC().Truncate(time.Second)
	add := func(l License) { s.addLicenseLocked(l) }

	add(License{LicenseType: DemoCodeDesktop, DateExpired: year, UserID: DemoUserAlice,
		ComputerName: "ALICE-LAPTOP", OperatingSystem: "Windows 11", IsTaken: true, Transaction: "TX-1001"})
	add(License{LicenseType: DemoCodeDesktop, DateExpired: year, UserID: DemoUserBob, Transaction: "TX-1001"})
	for range 3 {
		add(License{LicenseType: DemoCodeDesktop, DateExpired: year, Transaction: "TX-1001"})
	}
	add(License{LicenseType: DemoCodeDesktop, DateExpired: month, IsTrial: true})
	add(License{LicenseType: DemoCodeDesktop, DateExpired: lapsed, Transaction: "TX-0990"})

	add(License{LicenseType: DemoCodeServer, DateExpired: year, UserID: DemoUserCarol,
		ComputerName: "SRV-01", OperatingSystem: "Windows Server 2022", IsTaken: true, Transaction: "TX-1002"})
	add(License{LicenseType: DemoCodeServer, DateExpired: year, Transaction: "TX-1002"})
	add(License{LicenseType: DemoCodeServer, DateExpired: year, Transaction: "TX-1002"})

	add(License{LicenseType: DemoCodeUltimate, DateExpired: year, Transaction: "TX-1003"})
	add(License{LicenseType: DemoCodeUltimate, DateExpired: year, Transaction: "TX-1003"})

	add(License{LicenseType: DemoCodeFull, DateExpired: year, UserID: DemoUserAlice, Transaction: "TX-1004"})
	add(License{LicenseType: DemoCodeFull, DateExpired: year, UserID: DemoUserDave, Transaction: "TX-1004"})
	// Alice's laptop backed up an hour ago, Carol's server last week.
	s.backups[DemoUserAlice] = []planRun{{computer: "ALICE-LAPTOP", plan: "Documents", lastStart: s.now().Add(-time.Hour)}}
	s.backups[DemoUserCarol] = []planRun{{computer: "SRV-01", plan: "System image", lastStart: s.now().Add(-7 * 24 * time.Hour)}}
}
