package consumer_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

func newJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	srv := natstest.RunServer(t, nil)
	js, err := jetstream.New(natstest.Connect(t, srv.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// uipathClient returns the UiPath adapter for fake, on the tests' account.
func uipathClient(t *testing.T, fake *uipathtest.Server) *uipath.Client {
	t.Helper()
	client, err := uipath.New(uipath.Config{
		BaseURL: fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// Setup creates everything, twice without complaint, with the settings of
// docs/design.md §2.
func TestSetupIsIdempotent(t *testing.T) {
	js := newJS(t)
	ctx := context.Background()
	s := consumer.DefaultSettings(8)
	for i := 0; i < 2; i++ {
		if _, err := consumer.Setup(ctx, js, s); err != nil {
			t.Fatalf("Setup #%d: %v", i+1, err)
		}
	}
	cmds, err := js.Stream(ctx, events.CommandStream)
	if err != nil {
		t.Fatal(err)
	}
	c := cmds.CachedInfo().Config
	if c.Storage != jetstream.FileStorage || c.MaxAge != 7*24*time.Hour || c.Duplicates != 2*time.Minute || c.Retention != jetstream.LimitsPolicy {
		t.Errorf("LICENSE_COMMANDS config %+v, want file storage, 7 days, 2 min duplicates, limits", c)
	}
	evs, err := js.Stream(ctx, events.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := evs.CachedInfo().Config.MaxAge; got != 365*24*time.Hour {
		t.Errorf("LICENSE_EVENTS MaxAge %s, want 365 days", got)
	}
	cons, err := js.Consumer(ctx, events.CommandStream, events.WorkerConsumer)
	if err != nil {
		t.Fatal(err)
	}
	cc := cons.CachedInfo().Config
	if cc.AckPolicy != jetstream.AckExplicitPolicy || cc.AckWait != 30*time.Second || cc.MaxDeliver != -1 || cc.MaxAckPending < 8 ||
		!slices.Equal(cc.FilterSubjects, events.CommandSubjects) {
		t.Errorf("consumer config %+v, want explicit acks, 30 s, unlimited deliveries, the command subjects only", cc)
	}
	if !c.AllowMsgSchedules || !slices.Contains(c.Subjects, consumer.ScheduleSubjects) {
		t.Errorf("LICENSE_COMMANDS takes no schedules on %s: %+v", consumer.ScheduleSubjects, c)
	}
	for _, b := range []string{events.CommandBucket, events.LedgerBucket} {
		if _, err := js.KeyValue(ctx, b); err != nil {
			t.Errorf("bucket %s: %v", b, err)
		}
	}
}

// A stream an operator made with other limits is kept; one without
// seatkeeper's subjects is refused with an error naming the conflict.
func TestSetupRespectsOperatorStreams(t *testing.T) {
	js := newJS(t)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: events.EventStream, Subjects: events.ResultSubjects, MaxAge: 7 * 365 * 24 * time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := consumer.Setup(ctx, js, consumer.DefaultSettings(8)); err != nil {
		t.Fatalf("Setup with an operator's compatible stream: %v", err)
	}
	st, _ := js.Stream(ctx, events.EventStream)
	if got := st.CachedInfo().Config.MaxAge; got != 7*365*24*time.Hour {
		t.Errorf("the operator's MaxAge became %s", got)
	}

	js2 := newJS(t)
	if _, err := js2.CreateStream(ctx, jetstream.StreamConfig{
		Name: events.CommandStream, Subjects: []string{events.SubjectAssign},
	}); err != nil {
		t.Fatal(err)
	}
	_, err := consumer.Setup(ctx, js2, consumer.DefaultSettings(8))
	if err == nil || !strings.Contains(err.Error(), events.CommandStream) || !strings.Contains(err.Error(), events.SubjectRelease) {
		t.Errorf("Setup with a stream lacking subjects: err = %v, want one naming the stream and the missing subject", err)
	}
}
