package handlers

import (
	"context"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// HeldSince returns, for each seat the ledger records seatkeeper left user
// holding at the vendor account, since when it is held: the time of the
// assign that gave it (see seat.Since). A reclaim judges a seat younger
// than its inactivity threshold too new to reclaim by it.
//
// The user's entry is read as the next command would see it: the outcome
// of the command holding it is folded in once that command has ended (its
// record is stored), since a command leaves its hold in place and its
// outcome reaches the entry only when the next command folds it. The seats
// of a command still under way (its result may already be out: it is
// published before it is stored) count as held since that command's time:
// it may be the assign that gives them, and a seat is better judged young
// once too often than released while it is being given. Nothing is
// written. Seats held since an unknown time (entries of earlier builds) are
// absent, as are all seats of a user the ledger does not know. user is
// spelled as in a command (its canonical spelling is looked up).
func HeldSince(ctx context.Context, ledger, records Store, vendor, account, user string) (map[string]time.Time, error) {
	holder := canonical(events.Command{Data: events.CommandData{Vendor: vendor, Account: account, User: user}})
	e, _, err := readEntry(ctx, ledger, holder.Key())
	if err != nil {
		return nil, err
	}
	var pending *hold
	if e.Hold != nil {
		ended, err := foldStored(ctx, records, &e)
		if err != nil {
			return nil, err
		}
		if !ended {
			pending = e.Hold
		}
	}
	out := e.heldSince()
	if pending != nil {
		for _, code := range pending.Licenses {
			if m, ok := e.newest(code); !ok || !m.after(pending.Mark) {
				out[code] = pending.Mark.Time
			}
		}
	}
	return out, nil
}
