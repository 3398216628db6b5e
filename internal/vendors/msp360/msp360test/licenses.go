package msp360test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Answers of the license calls. The 400s for a taken license and for a
// release from the wrong user are in the reference's ASSUMED section; the
// wording, the 400 for an expired license and the 404s are the fake's own
// ASSUMED choices.
const (
	msgInvalid    = "The request is invalid."
	msgTaken      = "The license is already taken."
	msgExpired    = "The license has expired."
	msgNotHeld    = "The license is not assigned to the user."
	msgNoLicense  = "License not found."
	msgNoUser     = "User not found."
	dateLayout    = "2006-01-02T15:04:05" // ASP.NET's zone-less form; the fake means UTC
	phantomLogin  = "someone-else@other.example"
	licenseIDForm = "11c00000-0000-4000-8000-%012d"
	userIDForm    = "5e700000-0000-4000-8000-%012d"
)

// License is one license of the fake's provider account, with the fields of
// GET /api/Licenses.
type License struct {
	ID              string
	Number          int
	ComputerName    string
	OperatingSystem string
	IsTrial         bool
	IsTaken         bool
	LicenseType     string
	// DateExpired is when the license expires; zero is sent as null.
	DateExpired time.Time
	Transaction string
	// User is the login of the user holding the license; the fake fills it
	// from UserID.
	User   string
	UserID string
}

// AddUser adds an MBS user with the given login and returns its id.
func (s *Server) AddUser(login string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUser++
	return s.addUserLocked(fmt.Sprintf(userIDForm, s.nextUser), login)
}

func (s *Server) addUserLocked(id, login string) string {
	s.users[strings.ToLower(id)] = login
	s.userIDs[strings.ToLower(id)] = id
	return id
}

// AddLicense adds l (an empty ID or Number is filled in; User is filled
// from UserID) and returns its id.
func (s *Server) AddLicense(l License) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLicenseLocked(l)
}

func (s *Server) addLicenseLocked(l License) string {
	s.nextLic++
	if l.ID == "" {
		l.ID = fmt.Sprintf(licenseIDForm, s.nextLic)
	}
	if l.Number == 0 {
		l.Number = 100000 + s.nextLic
	}
	if l.UserID != "" {
		l.User = s.users[strings.ToLower(l.UserID)]
	}
	s.licenses[strings.ToLower(l.ID)] = &l
	return l.ID
}

// AddLicenses adds n free, paid licenses of licenseType expiring in a year
// and returns their ids.
func (s *Server) AddLicenses(licenseType string, n int) []string {
	ids := make([]string, n)
	expires := s.now().Add(365 * 24 * time.Hour).UTC().Truncate(time.Second)
	for i := range ids {
		ids[i] = s.AddLicense(License{LicenseType: licenseType, DateExpired: expires,
			Transaction: fmt.Sprintf("TX-%s-%d", licenseType, i+1)})
	}
	return ids
}

// License returns the license with id.
func (s *Server) License(id string) (License, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.licenses[strings.ToLower(id)]
	if !ok {
		return License{}, false
	}
	return *l, true
}

// Licenses returns every license, ordered by id.
func (s *Server) Licenses() []License {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]License, 0, len(s.licenses))
	for _, l := range s.sortedLocked() {
		out = append(out, *l)
	}
	return out
}

func (s *Server) sortedLocked() []*License {
	out := make([]*License, 0, len(s.licenses))
	for _, l := range s.licenses {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].ID) < strings.ToLower(out[j].ID) })
	return out
}

// Held returns the license types of the licenses user holds, sorted, one
// entry per license.
func (s *Server) Held(user string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, l := range s.licenses {
		if l.UserID != "" && strings.EqualFold(l.UserID, user) {
			out = append(out, l.LicenseType)
		}
	}
	sort.Strings(out)
	return out
}

// Pools returns one pool per license type (types compared
// case-insensitively, spelled as on the license with the lowest id): Total
// counts the licenses not expired, Assigned those of them held by a user or
// taken by a computer.
func (s *Server) Pools() []events.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	byType := map[string]*events.Pool{}
	var order []string
	for _, l := range s.sortedLocked() {
		key := strings.ToLower(l.LicenseType)
		p, ok := byType[key]
		if !ok {
			p = &events.Pool{Code: l.LicenseType}
			byType[key] = p
			order = append(order, key)
		}
		if l.expired(now) {
			continue
		}
		p.Total++
		if l.UserID != "" || l.IsTaken {
			p.Assigned++
		}
	}
	out := make([]events.Pool, 0, len(order))
	for _, k := range order {
		p := *byType[k]
		p.Free = p.Total - p.Assigned
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func (l *License) expired(now time.Time) bool {
	return !l.DateExpired.IsZero() && !now.Before(l.DateExpired)
}

// wire is a license as the API sends it: empty strings go out as null.
func (l *License) wire() map[string]any {
	var expires any
	if !l.DateExpired.IsZero() {
		expires = l.DateExpired.UTC().Format(dateLayout)
	}
	return map[string]any{
		"ID": l.ID, "Number": l.Number, "ComputerName": orNull(l.ComputerName),
		"OperatingSystem": orNull(l.OperatingSystem), "IsTrial": l.IsTrial, "IsTaken": l.IsTaken,
		"LicenseType": l.LicenseType, "DateExpired": expires, "Transaction": orNull(l.Transaction),
		"User": orNull(l.User), "UserID": orNull(l.UserID),
	}
}

func orNull(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (s *Server) listLicenses(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	out := make([]map[string]any, 0, len(s.licenses))
	for _, l := range s.sortedLocked() {
		out = append(out, l.wire())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getLicense(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	l, ok := s.licenses[strings.ToLower(r.PathValue("id"))]
	var out map[string]any
	if ok {
		out = l.wire()
	}
	s.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusNotFound, msgNoLicense)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// operation is the body of Grant, Release and Revoke.
type operation struct {
	LicenseID string `json:"LicenseID"`
	UserID    string `json:"UserID"`
}

// change decodes an operation, finds its license and user, and calls apply
// under the lock; apply returns the status and message of a refusal, or 0.
func (s *Server) change(w http.ResponseWriter, r *http.Request, apply func(l *License, userID string) (int, string)) {
	var op operation
	if err := json.NewDecoder(r.Body).Decode(&op); err != nil || op.LicenseID == "" || op.UserID == "" {
		writeMessage(w, http.StatusBadRequest, msgInvalid)
		return
	}
	s.mu.Lock()
	status, msg := http.StatusNotFound, msgNoLicense
	if l, ok := s.licenses[strings.ToLower(op.LicenseID)]; ok {
		status, msg = http.StatusNotFound, msgNoUser
		if id, ok := s.userIDs[strings.ToLower(op.UserID)]; ok {
			status, msg = apply(l, id)
		}
	}
	s.mu.Unlock()
	if status != 0 {
		writeMessage(w, status, msg)
		return
	}
	w.WriteHeader(http.StatusOK) // the reference: 200, no message body
}

func (s *Server) grant(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, func(l *License, userID string) (int, string) {
		if s.raceGrants > 0 && l.UserID == "" && !l.IsTaken {
			s.raceGrants--
			s.nextUser++
			l.UserID = s.addUserLocked(fmt.Sprintf(userIDForm, s.nextUser), phantomLogin)
			l.User = phantomLogin
		}
		switch {
		case l.UserID != "" || l.IsTaken:
			return http.StatusBadRequest, msgTaken
		case l.expired(s.now()):
			return http.StatusBadRequest, msgExpired
		}
		l.UserID, l.User = userID, s.users[strings.ToLower(userID)]
		return 0, ""
	})
}

// release detaches the license from the user and from the user's computer.
func (s *Server) release(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, func(l *License, userID string) (int, string) {
		if !strings.EqualFold(l.UserID, userID) {
			return http.StatusBadRequest, msgNotHeld
		}
		l.UserID, l.User = "", ""
		l.ComputerName, l.OperatingSystem, l.IsTaken = "", "", false
		return 0, ""
	})
}

// revoke detaches the license from the computer only: the user keeps it.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	s.change(w, r, func(l *License, userID string) (int, string) {
		if !strings.EqualFold(l.UserID, userID) {
			return http.StatusBadRequest, msgNotHeld
		}
		l.ComputerName, l.OperatingSystem, l.IsTaken = "", "", false
		return 0, ""
	})
}
