package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/people"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// peopleEnv is a worker reconciling person events with a policy over the
// LicenseSpring and Microsoft 365 fakes, both able to find users by e-mail.
type peopleEnv struct {
	*env
	ls         *licensespringtest.Server
	ms         *m365test.Server
	lsCode     string
	policyFile string
}

const m365SKU = "SPE_E3"

func newPeopleEnv(t *testing.T, seats int) *peopleEnv {
	t.Helper()
	srv := natstest.RunServer(t, nil)
	e := &peopleEnv{env: &env{t: t, url: srv.ClientURL()}}
	nc := natstest.Connect(t, e.url)
	e.ls = licensespringtest.NewServer(t, licensespringtest.Options{})
	e.lsCode = fmt.Sprint(e.ls.AddLicense(licensespringtest.License{ProductShortCode: "eng", MaxUsers: seats}))
	e.ms = m365test.NewServer(t, m365test.Options{})
	e.ms.AddSKU(m365SKU, seats, 0)
	limits := vendors.Limits{MaxConcurrency: 32}
	ls, err := licensespring.New(licensespring.Config{BaseURL: e.ls.URL, APIKey: licensespringtest.APIKey}, vendors.NewHTTPClient("licensespring", limits, nil))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := m365.New(m365.Config{TenantID: m365test.TenantID, ClientID: m365test.ClientID, ClientSecret: m365test.ClientSecret,
		LoginURL: e.ms.URL, GraphURL: e.ms.URL}, vendors.NewHTTPClient("m365", limits, nil))
	if err != nil {
		t.Fatal(err)
	}
	e.policyFile = filepath.Join(t.TempDir(), "policy.yaml")
	src := fmt.Sprintf("rules:\n  - name: engineering\n    when: person.department == \"Engineering\"\n    grant: {licensespring: [%q]}\n"+
		"  - name: employees\n    when: person.employment_type == \"employee\"\n    grant: {m365: [%s]}\noffboarding:\n  release_all: true\n", e.lsCode, m365SKU)
	if err := os.WriteFile(e.policyFile, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	policy, err := people.LoadPolicy(e.policyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	settings := consumer.DefaultSettings(32)
	e.svc, err = consumer.Start(ctx, consumer.ServiceOptions{
		Conn: nc, Settings: settings, Vendors: vendors.NewRegistry(ls, ms), Policy: testPolicy(),
		Owner: "test-worker", Concurrency: 32, ShutdownTimeout: 5 * time.Second, Logger: zap.NewNop(),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	p, err := consumer.StartPeopleService(ctx, e.svc.JS, settings, consumer.PeopleOptions{
		Policy: policy, Vendors: []string{"licensespring", "m365"}, Logger: zap.NewNop()})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-e.svc.Done()
		<-p.Done()
	})
	return e
}

func m365testUser(email string) m365test.User {
	return m365test.User{UPN: email, UsageLocation: "US"}
}
