package m365test_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// GET /users/{id or UPN}?$select=id,userPrincipalName answers with the
// user's object id however the user is addressed: by UPN in any case, by
// object id in any case, or as users('$…') for a UPN starting with $. An
// unknown user is 404 Request_ResourceNotFound.
func TestGetUserByEverySpelling(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{})
	tok := getToken(t, s)
	id := s.AddUser(m365test.User{UPN: "Jane.Doe@contoso.example"})
	dollarID := s.AddUser(m365test.User{UPN: "$svc@contoso.example"})
	spellings := []struct{ path, wantID, wantUPN string }{
		{"/users/Jane.Doe@contoso.example", id, "Jane.Doe@contoso.example"},
		{"/users/jane.doe@CONTOSO.example", id, "Jane.Doe@contoso.example"},
		{"/users/" + id, id, "Jane.Doe@contoso.example"},
		{"/users/" + strings.ToUpper(id), id, "Jane.Doe@contoso.example"},
		{"/users('" + url.PathEscape("$svc@contoso.example") + "')", dollarID, "$svc@contoso.example"},
	}
	for _, sp := range spellings {
		status, _, body := graph(t, s, tok, http.MethodGet, sp.path+"?$select=id,userPrincipalName", "")
		var u struct {
			ID  string `json:"id"`
			UPN string `json:"userPrincipalName"`
		}
		if err := json.Unmarshal(body, &u); status != http.StatusOK || err != nil {
			t.Fatalf("GET %s: HTTP %d %s (%v)", sp.path, status, body, err)
		}
		if u.ID != sp.wantID || u.UPN != sp.wantUPN {
			t.Errorf("GET %s = id %q upn %q, want %q %q", sp.path, u.ID, u.UPN, sp.wantID, sp.wantUPN)
		}
	}
	status, _, body := graph(t, s, tok, http.MethodGet, "/users/nobody@contoso.example?$select=id,userPrincipalName", "")
	if code, _ := graphError(t, body); status != http.StatusNotFound || code != "Request_ResourceNotFound" {
		t.Errorf("GET an unknown user: HTTP %d %s, want 404 Request_ResourceNotFound", status, code)
	}
}
