package consumer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
)

// On the last delivery JetStream will make (MaxDeliver), a command that
// would be handed back is instead answered retries_exhausted: a command
// never runs out of deliveries in silence.
func TestLastDeliveryEndsWithAResultNotSilence(t *testing.T) {
	fx := fixtures(t, nil)[:1]
	e := newEnv(t, withVendors(registry(fx)), withPolicy(isolationPolicy(50*time.Millisecond, time.Hour)), func(c *envConfig) {
		c.so.Settings = consumer.DefaultSettings(c.so.Concurrency)
		c.so.Settings.MaxDeliver = 1
	})
	fx[0].failAll()
	ids := assignAll(e, fx, 3, "last")
	for _, id := range ids[fx[0].name] {
		r := e.result(id)
		if r.Data.Error == nil || r.Data.Error.Code != events.CodeRetriesExhausted || !strings.Contains(r.Data.Error.Message, "last delivery") {
			t.Errorf("%s: %s %+v, want retries_exhausted on the last delivery", id, r.Type, r.Data.Error)
		}
	}
}
