package consumer

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

func TestDecide(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		err  error
		want decision
	}{
		{"published", nil, decision{action: ack}},
		{"invalid", &events.ValidationError{Code: events.CodeInvalidCommand, Message: "x"}, decision{action: term, reason: events.CodeInvalidCommand}},
		{"deferred", &vendors.Deferral{Delay: 7 * time.Second, Err: vendors.ErrTransient}, decision{action: later, delay: 7 * time.Second}},
		{"wrapped deferral", fmt.Errorf("x: %w", &vendors.Deferral{Delay: time.Second}), decision{action: later, delay: time.Second}},
		{"vendor call cancelled by a shutdown", &vendors.Deferral{Delay: 0, Err: context.Canceled}, decision{action: nak}},
		{"no room, first time", &parkedError{n: 1}, decision{action: later, delay: time.Second}},
		{"no room, fourth time", &parkedError{n: 4}, decision{action: later, delay: 8 * time.Second}},
		{"no room, often", &parkedError{n: 40}, decision{action: later, delay: 30 * time.Second}},
		{"result not published", fmt.Errorf("%w: stream full", errResultNotPublished), decision{action: nak, delay: resultRetryDelay}},
		{"busy elsewhere", &handlers.BusyError{Owner: "w2", Until: now.Add(12 * time.Second)}, decision{action: nak, delay: maxBusyDelay}},
		{"busy briefly", &handlers.BusyError{Owner: "w2", Until: now.Add(300 * time.Millisecond)}, decision{action: nak, delay: 300 * time.Millisecond}},
		{"busy lease just ended", &handlers.BusyError{Owner: "w2", Until: now.Add(-time.Second)}, decision{action: nak, delay: 100 * time.Millisecond}},
		{"shutdown", fmt.Errorf("publish: %w", context.Canceled), decision{action: nak}},
		{"claim lost", handlers.ErrClaimLost, decision{action: nak, delay: storeRetryDelay}},
		{"nats trouble", errors.New("nats: timeout"), decision{action: nak, delay: storeRetryDelay}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decide(tt.err, now); got != tt.want {
				t.Errorf("decide(%v) = %+v, want %+v", tt.err, got, tt.want)
			}
		})
	}
}
