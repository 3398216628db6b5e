package m365test_test

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// licenseAssignmentStates tells a direct assignment from an inherited one;
// licenseDetails does not; an assignLicense that removes the inherited SKU
// is refused whole, the direct removal in it included.
func TestInheritedLicenses(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{Demo: true})
	tok := getToken(t, s)
	const e3, bi = "6fd2c87f-b296-42f0-b197-1e91e994b900", "f8a1db68-be16-40ed-86d5-cb42ce701560"
	user := url.PathEscape(m365test.DemoDiego)

	status, _, b := graph(t, s, tok, "GET", "/users/"+user+"?$select=licenseAssignmentStates", "")
	var u struct {
		LicenseAssignmentStates []struct {
			SkuID           string  `json:"skuId"`
			AssignedByGroup *string `json:"assignedByGroup"`
			State           string  `json:"state"`
		} `json:"licenseAssignmentStates"`
	}
	if err := json.Unmarshal(b, &u); err != nil || status != 200 {
		t.Fatalf("GET user: %d %s", status, b)
	}
	got := map[string]string{}
	for _, st := range u.LicenseAssignmentStates {
		by := "direct"
		if st.AssignedByGroup != nil {
			by = *st.AssignedByGroup
		}
		got[st.SkuID] = by
	}
	if want := map[string]string{e3: m365test.DemoGroup, bi: "direct"}; len(got) != 2 || got[e3] != want[e3] || got[bi] != want[bi] {
		t.Errorf("assignment states %v, want %v", got, want)
	}
	if _, _, b := graph(t, s, tok, "GET", "/users/"+user, ""); strings.Contains(string(b), "licenseAssignmentStates") {
		t.Errorf("a GET without $select shows licenseAssignmentStates: %s", b)
	}

	status, _, b = graph(t, s, tok, "POST", "/users/"+user+"/assignLicense", `{"addLicenses":[],"removeLicenses":["`+bi+`","`+e3+`"]}`)
	if _, msg := graphError(t, b); status != 400 || !strings.Contains(msg, "inherited from a group") {
		t.Errorf("removing an inherited SKU: %d %s, want 400", status, b)
	}
	if held := s.Held(m365test.DemoDiego); !slices.Equal(held, []string{m365test.DemoE3, m365test.DemoPowerBI}) {
		t.Errorf("after the refused call Diego holds %v, want both SKUs still", held)
	}
}

// signInActivity needs a premium tenant; users('$...') reaches a UPN that
// starts with $, /users/$... does not; the users filter matches mail or UPN
// in any case.
func TestSignInsDollarAndFilter(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{Demo: true})
	tok := getToken(t, s)
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	s.SetLastSignIn(m365test.DemoAlex, at)
	_, _, b := graph(t, s, tok, "GET", "/users/"+m365test.DemoAlex+"?$select=id,signInActivity", "")
	if !strings.Contains(string(b), `"lastSignInDateTime":"2026-11-01T12:00:00Z"`) {
		t.Errorf("signInActivity: %s", b)
	}
	poor := m365test.NewServer(t, m365test.Options{Demo: true, NoPremium: true})
	if status, _, _ := graph(t, poor, getToken(t, poor), "GET", "/users/"+m365test.DemoAlex+"?$select=signInActivity", ""); status != 403 {
		t.Errorf("signInActivity without premium: %d, want 403", status)
	}

	if status, _, b := graph(t, s, tok, "GET", "/users/"+m365test.DemoDollar+"/licenseDetails", ""); status != 400 {
		t.Errorf("/users/$...: %d %s, want 400", status, b)
	}
	if status, _, b := graph(t, s, tok, "GET", "/users('"+m365test.DemoDollar+"')/licenseDetails", ""); status != 200 {
		t.Errorf("/users('$...'): %d %s, want 200", status, b)
	}

	filter := url.QueryEscape("mail eq 'SVC-BACKUP@contoso.example' or userPrincipalName eq 'SVC-BACKUP@contoso.example'")
	status, _, b := graph(t, s, tok, "GET", "/users?$filter="+filter, "")
	var page struct {
		Value []struct {
			UPN string `json:"userPrincipalName"`
		} `json:"value"`
	}
	if err := json.Unmarshal(b, &page); err != nil || status != 200 || len(page.Value) != 1 || page.Value[0].UPN != m365test.DemoDollar {
		t.Errorf("users filter: %d %s, want %s", status, b, m365test.DemoDollar)
	}
}

// Free is never negative in the fake's view; company-wide SKUs are no
// user pool.
func TestSuspendedUnits(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{})
	s.AddSKU("EXCHANGESTANDARD", 5, 8)
	s.SetUnits("EXCHANGESTANDARD", 0, 5, 0)
	s.AddSKU("RIGHTSMANAGEMENT_ADHOC", 100, 0)
	s.SetCompanyWide("RIGHTSMANAGEMENT_ADHOC")
	pools := s.Pools()
	if len(pools) != 1 || pools[0].Free != 0 || pools[0].Suspended != 5 || pools[0].Assigned != 8 {
		t.Errorf("Pools = %+v, want one pool, 8 consumed, none free, 5 suspended", pools)
	}
	_, _, b := graph(t, s, getToken(t, s), "GET", "/subscribedSkus", "")
	if !strings.Contains(string(b), `"suspended":5`) || !strings.Contains(string(b), `"appliesTo":"Company"`) {
		t.Errorf("subscribedSkus: %s", b)
	}
}
