package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// sandboxRegistry is every vendor against its demo fake, configured as
// worker -sandbox configures them (ArcGIS as an Enterprise portal).
func sandboxRegistry(t *testing.T) *vendors.Registry {
	t.Helper()
	must := func(v vendors.Vendor, err error) vendors.Vendor {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ui := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	ms := msp360test.NewServer(t, msp360test.Options{Demo: true})
	ls := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	ag := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	mg := m365test.NewServer(t, m365test.Options{Demo: true})
	return vendors.NewRegistry(
		must(uipath.New(uipath.Config{BaseURL: ui.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
			Scope: uipathtest.Scope, AccountID: uipathtest.DemoAccount, RateLimit: 1000, MaxConcurrency: 8}, nil)),
		must(msp360.New(msp360.Config{BaseURL: ms.URL, Username: msp360test.Username, Password: msp360test.Password,
			RateLimit: 1000, MaxConcurrency: 8}, nil)),
		must(licensespring.New(licensespring.Config{BaseURL: ls.URL, APIKey: licensespringtest.APIKey,
			RateLimit: 1000, MaxConcurrency: 8}, nil)),
		must(arcgis.New(arcgis.Config{PortalURL: ag.PortalURL(), AdminURL: ag.AdminURL(),
			Username: arcgistest.AdminUsername, Password: arcgistest.AdminPassword,
			ProListingID: arcgistest.ProListingID, ReleaseUserType: arcgistest.FallbackUserType,
			RateLimit: 1000, MaxConcurrency: 8}, nil)),
		must(m365.New(m365.Config{TenantID: m365test.TenantID, ClientID: m365test.ClientID, ClientSecret: m365test.ClientSecret,
			LoginURL: mg.URL, GraphURL: mg.URL, RateLimit: 1000, MaxConcurrency: 8}, nil)),
	)
}

// publish pools against the sandbox's vendors shows every vendor's pools
// without an error: ArcGIS user types (from the Enterprise admin license
// resource), Pro entitlements and the trial listing included; no free
// count is negative.
func TestPoolsOfTheSandbox(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	nc := natstest.Connect(t, srv.ClientURL())
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := consumer.Start(ctx, consumer.ServiceOptions{
		Conn: nc, Settings: consumer.DefaultSettings(8), Vendors: sandboxRegistry(t), Policy: testPolicy(),
		Owner: "sandbox-test", Concurrency: 8, ShutdownTimeout: 5 * time.Second, Logger: zap.NewNop(),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-svc.Done() })
	e := &env{t: t, url: srv.ClientURL(), svc: svc}

	o := e.run("", "pools")
	if o.status != exitOK {
		t.Fatalf("publish pools: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(o.stdout), "\n")[1:] {
		f := strings.Fields(line)
		rows[f[0]] = append(rows[f[0]], line)
		if strings.Contains(line, "(") && !strings.Contains(line, "(trial)") {
			t.Errorf("row %q: want pools, not a note", line)
		}
		if free, err := strconv.Atoi(f[len(f)-1]); err == nil && free < 0 {
			t.Errorf("row %q: negative free count", line)
		}
	}
	for _, want := range []string{"uipath", "msp360", "licensespring", "arcgis", "m365"} {
		if len(rows[want]) == 0 {
			t.Errorf("no pools of %s in\n%s", want, o.stdout)
		}
	}
	arc := strings.Join(rows["arcgis"], "\n")
	for _, want := range []string{"usertype:creatorUT", "usertype:" + arcgistest.DemoFullUserType, "pro:desktopAdvN", "(trial)"} {
		if !strings.Contains(arc, want) {
			t.Errorf("arcgis pools lack %s:\n%s", want, arc)
		}
	}
	t.Logf("publish pools:\n%s", o.stdout)
}
