package arcgistest_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
)

// The fake answers the documented shapes: purchases list app listings only
// (trials apart), the admin license resource lists user types, users/counts
// counts them, the user search is fuzzy, an unknown user's error carries
// its details as a string, and a member without entitlements has [""].
func TestDocumentedShapes(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	tok := token(t, s)
	q := func(kv ...string) url.Values {
		v := url.Values{"f": {"json"}, "token": {tok}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	_, body := get(t, s, s.PortalURL()+"/portals/self/purchases", q())
	if strings.Contains(body, "userLicenseTypeId") || !strings.Contains(body, `"trials":[{`) ||
		!strings.Contains(body, `"desktopAdvN":{"num":3}`) || !strings.Contains(body, `"trial":true`) {
		t.Errorf("purchases = %s; want listings only, with entitlements' num and a trial", body)
	}
	_, body = get(t, s, s.AdminURL()+"/license", q())
	if !strings.Contains(body, `{"currentRegisteredMembers":2,"id":"creatorUT","maximumRegisteredMembers":5}`) {
		t.Errorf("admin license = %s; want creatorUT 2 of 5", body)
	}
	_, body = get(t, s, s.PortalURL()+"/portals/self/users/counts", q("type", "userLicenseType"))
	if !strings.Contains(body, `{"count":2,"key":"creatorUT"}`) || !strings.Contains(body, `"nextStart":-1`) {
		t.Errorf("users/counts = %s; want creatorUT counted 2", body)
	}
	s.AddUser("jdoe2", "")
	s.SetEmail("jdoe2", "jdoe@demo.example.com.au")
	_, body = get(t, s, s.PortalURL()+"/portals/self/users/search", q("q", "jdoe@demo.example.com"))
	if !strings.Contains(body, `"username":"jdoe"`) || !strings.Contains(body, `"username":"jdoe2"`) {
		t.Errorf("search = %s; want the exact and the near match", body)
	}
	_, body = get(t, s, s.PortalURL()+"/community/users/nobody/userLicenseType", q())
	if e, _ := decode(t, body)["error"].(map[string]any); e == nil || e["details"] != "User 'nobody' does not exist or is inaccessible." {
		t.Errorf("unknown user = %s; want details as a string", body)
	}
	_, body = get(t, s, s.PortalURL()+"/content/listings/"+arcgistest.ProListingID+"/userEntitlements/bwong", q())
	if !strings.Contains(body, `"entitlements":[""]`) || !strings.Contains(body, `"lastLogin":-1`) {
		t.Errorf("entitlements of bwong = %s; want [\"\"] and lastLogin -1", body)
	}
	_, body = get(t, s, s.PortalURL()+"/content/listings/"+arcgistest.ProListingID+"/userEntitlements/asmith", q())
	if !strings.Contains(body, `"disconnected":true`) {
		t.Errorf("entitlements of asmith = %s; want disconnected", body)
	}
}
