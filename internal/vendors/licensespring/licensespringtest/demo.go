package licensespringtest

import "time"

// Demo company (Options.Demo), for worker -sandbox and the README.
const (
	// DemoAccount is the account the adapter reports: LicenseSpring has one
	// per API key.
	DemoAccount = "default"

	// DemoStudio is a perpetual license of product "studio" with 5 user
	// slots, 2 taken.
	DemoStudio int64 = 1719215304200001
	// DemoCloud is a subscription license of product "cloud" valid until
	// 2031-03-16, with 10 user slots, 1 taken.
	DemoCloud int64 = 1719215304200002
	// DemoTrial is a trial license of product "studio" with 3 user slots.
	DemoTrial int64 = 1719215304200003
	// DemoFull is a license of product "pro" whose 2 user slots are taken.
	DemoFull int64 = 1719215304200004

	// DemoStudioCode, DemoCloudCode, DemoTrialCode and DemoFullCode are the
	// ids as seatkeeper license codes.
	DemoStudioCode = "1719215304200001"
	DemoCloudCode  = "1719215304200002"
	DemoTrialCode  = "1719215304200003"
	DemoFullCode   = "1719215304200004"
)

// DemoUsers are the demo company's license users (emails). The first two
// hold DemoStudio and DemoFull, the third DemoCloud; the rest hold nothing.
var DemoUsers = []string{
	"ada@demo.example.com",
	"grace@demo.example.com",
	"linus@demo.example.com",
	"margaret@demo.example.com",
	"ken@demo.example.com",
}

// seedDemo adds the demo company. It runs before the server starts.
func (s *Server) seedDemo() {
	s.AddLicense(License{ID: DemoStudio, ProductShortCode: "studio", ProductName: "Studio", MaxUsers: 5})
	s.AddLicense(License{ID: DemoCloud, ProductShortCode: "cloud", ProductName: "Cloud",
		LicenseType: "subscription", ValidityPeriod: "2031-03-16", MaxUsers: 10})
	s.AddLicense(License{ID: DemoTrial, ProductShortCode: "studio", ProductName: "Studio",
		LicenseType: "time-limited", ValidityPeriod: "2030-12-31", Trial: true, MaxUsers: 3})
	s.AddLicense(License{ID: DemoFull, ProductShortCode: "pro", ProductName: "Pro", MaxUsers: 2})
	for _, a := range []struct {
		id    int64
		email string
	}{
		{DemoStudio, DemoUsers[0]}, {DemoStudio, DemoUsers[1]},
		{DemoFull, DemoUsers[0]}, {DemoFull, DemoUsers[1]},
		{DemoCloud, DemoUsers[2]},
	} {
		if err := s.AssignUser(a.id, a.email); err != nil {
			panic("licensespringtest: demo seed: " + err.Error())
		}
	}
	// Ada signed in yesterday, Grace two months ago; Linus never did.
	s.SetLastLogin(DemoUsers[0], s.now().Add(-24*time.Hour))
	s.SetLastLogin(DemoUsers[1], s.now().Add(-60*24*time.Hour))
}
