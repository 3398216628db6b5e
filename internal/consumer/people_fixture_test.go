package consumer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// directoryVendor is one vendor of the people tests: its adapter, two
// license codes (eng, gis), and the fake's hands: adding a person and
// reading what a person holds.
type directoryVendor struct {
	name     string
	vendor   vendors.Vendor
	eng, gis string
	// addPerson makes the vendor know email and returns its user id.
	addPerson func(email string) string
	held      func(user string) []string
	writes    func() int
}

// directoryVendors builds the vendors whose adapters can find a user by
// e-mail; the people tests run across those.
func directoryVendors(t testing.TB, seatsEach int) []*directoryVendor {
	t.Helper()
	var out []*directoryVendor

	ms := msp360test.NewServer(t, msp360test.Options{})
	ms.AddLicenses("Eng", seatsEach)
	ms.AddLicenses("GIS", seatsEach)
	out = append(out, &directoryVendor{
		name: "msp360", eng: "Eng", gis: "GIS",
		vendor: must(msp360.New(msp360.Config{BaseURL: ms.URL, Username: msp360test.Username, Password: msp360test.Password},
			fastLimits("msp360", nil))),
		addPerson: ms.AddUser, held: ms.Held, writes: ms.Writes,
	})

	ls := licensespringtest.NewServer(t, licensespringtest.Options{})
	eng := ls.AddLicense(licensespringtest.License{ProductShortCode: "eng", MaxUsers: seatsEach})
	gis := ls.AddLicense(licensespringtest.License{ProductShortCode: "gis", MaxUsers: seatsEach})
	out = append(out, &directoryVendor{
		name: "licensespring", eng: fmt.Sprint(eng), gis: fmt.Sprint(gis),
		vendor:    must(licensespring.New(licensespring.Config{BaseURL: ls.URL, APIKey: licensespringtest.APIKey}, fastLimits("licensespring", nil))),
		addPerson: func(email string) string { return email }, held: ls.Held, writes: ls.Writes,
	})

	mf := m365test.NewServer(t, m365test.Options{})
	mf.AddSKU("ENG_SKU", seatsEach, 0)
	mf.AddSKU("GIS_SKU", seatsEach, 0)
	out = append(out, &directoryVendor{
		name: "m365", eng: "ENG_SKU", gis: "GIS_SKU",
		vendor: must(m365.New(m365.Config{TenantID: m365test.TenantID, ClientID: m365test.ClientID,
			ClientSecret: m365test.ClientSecret, LoginURL: mf.URL, GraphURL: mf.URL}, fastLimits("m365", nil))),
		addPerson: func(email string) string { return mf.AddUser(m365test.User{UPN: email, UsageLocation: "US"}) },
		held:      mf.Held, writes: mf.Writes,
	})

	var found []*directoryVendor
	for _, v := range out {
		if _, ok := v.vendor.(vendors.Directory); ok {
			found = append(found, v)
		} else {
			t.Logf("%s cannot find users by e-mail yet: left out", v.name)
		}
	}
	if len(found) < 2 {
		t.Skipf("only %d vendors can find users by e-mail", len(found))
	}
	return found
}

// peoplePolicy grants eng codes at every vendor to Engineering and gis
// codes at every vendor but the first to GIS titles.
func peoplePolicy(t testing.TB, vs []*directoryVendor, releaseAll bool) *people.Policy {
	t.Helper()
	var eng, gis []string
	for i, v := range vs {
		eng = append(eng, fmt.Sprintf("%s: [%q]", v.name, v.eng))
		if i > 0 {
			gis = append(gis, fmt.Sprintf("%s: [%q]", v.name, v.gis))
		}
	}
	src := fmt.Sprintf(`rules:
  - name: engineering
    when: person.department == "Engineering"
    grant: {%s}
  - name: gis
    when: person.title.contains("GIS")
    grant: {%s}
offboarding:
  release_all: %v
`, strings.Join(eng, ", "), strings.Join(gis, ", "), releaseAll)
	p, err := people.ParsePolicy([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// peopleEnv is a worker (command consumer and people consumer) over the
// directory vendors, collecting person outcomes as they are published.
type peopleEnv struct {
	*env
	vs []*directoryVendor

	pmu     sync.Mutex
	outcome map[string]events.PersonResult
	arrived chan struct{}
}

func newPeopleEnv(t testing.TB, vs []*directoryVendor, policy *people.Policy, options ...func(*consumer.PeopleOptions)) *peopleEnv {
	t.Helper()
	reg := vendors.NewRegistry()
	var names []string
	for _, v := range vs {
		reg.Register(v.vendor)
		names = append(names, v.name)
	}
	e := &peopleEnv{env: newEnv(t, withVendors(reg), withConcurrency(16)), vs: vs,
		outcome: map[string]events.PersonResult{}, arrived: make(chan struct{}, 1)}
	sub, err := e.nc.Subscribe("person.*", func(m *nats.Msg) {
		var r events.PersonResult
		if json.Unmarshal(m.Data, &r) != nil || (m.Subject != events.SubjectPersonReconciled && m.Subject != events.SubjectPersonFailed) {
			return
		}
		e.pmu.Lock()
		e.outcome[r.Data.EventID] = r
		e.pmu.Unlock()
		select {
		case e.arrived <- struct{}{}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	ctx, cancel := context.WithCancel(context.Background())
	o := consumer.PeopleOptions{Policy: policy, Vendors: names, Logger: e.so.Logger}
	for _, opt := range options {
		opt(&o)
	}
	p, err := consumer.StartPeopleService(ctx, e.js, e.so.Settings, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-p.Done() })
	return e
}

// publishPerson publishes a person event with Nats-Msg-Id msgID (its id
// when empty).
func (e *peopleEnv) publishPerson(ev events.PersonEvent, msgID string) {
	e.t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		e.t.Fatal(err)
	}
	if msgID == "" {
		msgID = ev.ID
	}
	e.publishRaw(ev.Type, b, msgID)
}

// reconciled waits for the outcome of person event id.
func (e *peopleEnv) reconciled(id string) events.PersonResult {
	e.t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		e.pmu.Lock()
		r, ok := e.outcome[id]
		e.pmu.Unlock()
		if ok {
			return r
		}
		select {
		case <-e.arrived:
		case <-deadline:
			e.t.Fatalf("no outcome of person event %s", id)
		}
	}
}

// applied waits for the outcome of person event id and for every command
// it lists, and returns the commands' results by id.
func (e *peopleEnv) applied(id string) (events.PersonResult, map[string]events.Result) {
	e.t.Helper()
	r := e.reconciled(id)
	got := map[string]events.Result{}
	for _, c := range r.Data.Commands {
		got[c.ID] = e.result(c.ID)
	}
	return r, got
}

func personEvent(typ, id, person, email string, at time.Time, attrs map[string]any) events.PersonEvent {
	return events.NewPersonEvent(typ, "hr/test", id, at, events.PersonData{Person: person, Email: email, Attributes: attrs})
}
