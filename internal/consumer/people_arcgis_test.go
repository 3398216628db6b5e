package consumer_test

import (
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
)

// TestPersonAmbiguousAtArcGIS: two ArcGIS members share the person's
// e-mail, so the ArcGIS command fails ambiguous_user instead of guessing,
// and the other vendors are applied.
func TestPersonAmbiguousAtArcGIS(t *testing.T) {
	f := arcgistest.NewServer(t, arcgistest.Options{})
	f.SetUserTypeQuantity("creatorUT", 5)
	const email = "dee.ng@example.com"
	for _, u := range []string{"dng", "dng_work"} {
		f.AddUser(u, arcgistest.FallbackUserType)
		f.SetEmail(u, email)
	}
	ag := &directoryVendor{
		name: "arcgis", eng: "usertype:creatorUT",
		vendor: must(arcgis.New(arcgis.Config{
			PortalURL: f.PortalURL(), AdminURL: f.AdminURL(),
			Username: arcgistest.AdminUsername, Password: arcgistest.AdminPassword,
			ProListingID: arcgistest.ProListingID, ReleaseUserType: arcgistest.FallbackUserType,
		}, fastLimits("arcgis", nil))),
		held: f.Held, writes: f.Writes,
	}
	vs := append(directoryVendors(t, 2)[:1], ag)
	vs[0].addPerson(email)
	policy, err := people.ParsePolicy([]byte(`rules:
  - name: engineering
    when: person.department == "Engineering"
    grant: {` + vs[0].name + `: [` + vs[0].eng + `], arcgis: ["usertype:creatorUT"]}
`))
	if err != nil {
		t.Fatal(err)
	}
	e := newPeopleEnv(t, vs, policy)
	ev := personEvent(events.SubjectPersonJoined, "hire-9", "E9", email, hired, map[string]any{"department": "Engineering"})
	e.publishPerson(ev, "")
	_, results := e.applied(ev.ID)
	res := results[people.CommandID(ev.ID, "arcgis", events.SubjectAssign)]
	if res.Data.Error == nil || res.Data.Error.Code != events.CodeAmbiguousUser {
		t.Errorf("arcgis: %s %+v, want ambiguous_user", res.Type, res.Data.Error)
	}
	if other := results[people.CommandID(ev.ID, vs[0].name, events.SubjectAssign)]; other.Type != events.SubjectAssigned {
		t.Errorf("%s: %s %+v, want assigned", vs[0].name, other.Type, other.Data.Error)
	}
	for _, u := range []string{"dng", "dng_work"} {
		if held := f.Held(u); len(held) != 0 && held[0] == "usertype:creatorUT" {
			t.Errorf("ArcGIS member %s got %v: a guess", u, held)
		}
	}
}
