package msp360test

import (
	"net/http"
	"sort"
	"strings"
	"time"
)

// planRun is one backup plan's last run on one of a user's computers.
type planRun struct {
	computer  string
	plan      string
	lastStart time.Time
}

// listUsers answers GET /api/Users: every MBS user with its ID and Email.
func (s *Server) listUsers(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	ids := make([]string, 0, len(s.userIDs))
	for _, id := range s.userIDs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]map[string]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, map[string]any{"ID": id, "Email": s.users[strings.ToLower(id)],
			"FirstName": nil, "LastName": nil, "Enabled": true})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

// monitoring answers GET /api/Monitoring/{userID}: the user's backup plans
// per computer, each with its LastStart (ASP.NET's zone-less form, UTC).
// An unknown user is a 404.
func (s *Server) monitoring(w http.ResponseWriter, r *http.Request) {
	key := strings.ToLower(r.PathValue("userID"))
	s.mu.Lock()
	id, ok := s.userIDs[key]
	out := make([]map[string]any, 0, len(s.backups[key]))
	for _, p := range s.backups[key] {
		out = append(out, map[string]any{"UserID": id, "UserName": s.users[key], "ComputerName": p.computer,
			"PlanName": p.plan, "LastStart": p.lastStart.UTC().Format(dateLayout), "Status": "Success"})
	}
	s.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusNotFound, msgNoUser)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// SetLastBackup records that user's backup plan on computer last started
// at: the user's last use of the license bound to that computer.
func (s *Server) SetLastBackup(user, computer, plan string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(user)
	for i, p := range s.backups[key] {
		if strings.EqualFold(p.computer, computer) && p.plan == plan {
			s.backups[key][i].lastStart = at
			return
		}
	}
	s.backups[key] = append(s.backups[key], planRun{computer: computer, plan: plan, lastStart: at})
}

// BindComputer binds license id to computer, as the backup agent does when
// it takes the license: IsTaken, with the computer's name.
func (s *Server) BindComputer(id, computer string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.licenses[strings.ToLower(id)]
	if ok {
		l.ComputerName, l.OperatingSystem, l.IsTaken = computer, "Windows 11", true
	}
	return ok
}
