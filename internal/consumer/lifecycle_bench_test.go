package consumer

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

// benchLifecycle is a Lifecycle on a fresh server with seatkeeper's streams.
func benchLifecycle(b *testing.B) *Lifecycle {
	srv := natstest.RunServer(b, nil)
	js, err := jetstream.New(natstest.Connect(b, srv.ClientURL()))
	if err != nil {
		b.Fatal(err)
	}
	res, err := Setup(context.Background(), js, DefaultSettings(8))
	if err != nil {
		b.Fatal(err)
	}
	if res.Unschedulable != nil {
		b.Fatal(res.Unschedulable)
	}
	return NewLifecycle(js, nil, nil, zap.NewNop())
}

func benchReply(b *testing.B, cmd events.Command, status string) handlers.Reply {
	res := events.NewResult(cmd, 1, time.Now(), events.ResultData{
		Account: cmd.Data.Account, Licenses: []events.LicenseResult{{Code: cmd.Data.Licenses[0], Status: status}},
	})
	payload, err := json.Marshal(res)
	if err != nil {
		b.Fatal(err)
	}
	return handlers.Reply{Subject: res.Type, ID: res.ID, Payload: payload}
}

// BenchmarkLifecycleAssignWithUntil is what an assign with until adds
// before its ack: reading the seat's schedule subject and writing its
// release (compare and set).
func BenchmarkLifecycleAssignWithUntil(b *testing.B) {
	lc := benchLifecycle(b)
	ctx := context.Background()
	until := time.Now().Add(24 * time.Hour)
	b.ResetTimer()
	for i := range b.N {
		cmd := events.NewCommand(events.SubjectAssign, "bench", fmt.Sprintf("a-%d", i), time.Now(), events.CommandData{
			Vendor: "arcgis", Account: "org", User: fmt.Sprintf("user-%d", i%1000), Licenses: []string{"usertype:creatorUT"}, Until: until,
		})
		if err := lc.after(ctx, handlers.Delivery{Command: cmd, Seq: uint64(i + 1)}, benchReply(b, cmd, events.StatusAssigned)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLifecycleRelease is what every release adds before its ack:
// purging the seat's schedule subject (usually empty).
func BenchmarkLifecycleRelease(b *testing.B) {
	lc := benchLifecycle(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		cmd := events.NewCommand(events.SubjectRelease, "bench", fmt.Sprintf("r-%d", i), time.Now(), events.CommandData{
			Vendor: "arcgis", Account: "org", User: fmt.Sprintf("user-%d", i%1000), Licenses: []string{"usertype:creatorUT"},
		})
		if err := lc.after(ctx, handlers.Delivery{Command: cmd, Seq: uint64(i + 1)}, benchReply(b, cmd, events.StatusReleased)); err != nil {
			b.Fatal(err)
		}
	}
}
