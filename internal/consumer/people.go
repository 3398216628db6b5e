package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// PeopleOptions configure the person event consumer.
type PeopleOptions struct {
	JS       jetstream.JetStream
	Consumer jetstream.Consumer
	// Bucket is the people bucket (person records).
	Bucket jetstream.KeyValue
	Policy *people.Policy
	// Scheduling is why the people stream cannot schedule dated events
	// (see SetupPeopleScheduling); nil when it can.
	Scheduling error
	// MaxClockSkew is how far ahead of the worker's clock an event's time
	// may be, as for commands; 0 means handlers.DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// Observer counts person outcomes; nil for none.
	Observer PeopleObserver
	// Vendors are the configured vendors: a leaver's release_all covers
	// each of them.
	Vendors []string
	Logger  *zap.Logger
	// Rebind sets the consumer up again when it stops delivering; nil
	// binds to Consumer again.
	Rebind func(context.Context) (jetstream.Consumer, error)
}

// PeopleObserver receives each person event's outcome: its type and
// reconciled, skipped, scheduled or an error code. A redelivered event
// is observed again.
type PeopleObserver interface {
	ObservePerson(eventType, outcome string)
}

// People reconciles person events: for each, it reads the person's record,
// lets the policy plan the license commands, publishes them on the command
// stream, stores the record and publishes person.reconciled. Events are
// handled one at a time: reconciling costs no vendor call (the commands do
// that, on the command consumer), so one goroutine keeps up, and one person's
// events cannot race each other within a worker.
type People struct {
	opts PeopleOptions
	log  *zap.Logger
	done chan struct{}
}

// StartPeople starts consuming person events until ctx ends. If the
// consumer stops delivering (an operator deleted it, a cluster lost it), it
// binds again through Rebind, with backoff, rather than go quiet.
func StartPeople(ctx context.Context, o PeopleOptions) (*People, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.MaxClockSkew <= 0 {
		o.MaxClockSkew = handlers.DefaultMaxClockSkew
	}
	p := &People{opts: o, log: o.Logger, done: make(chan struct{})}
	it, err := o.Consumer.Messages(jetstream.PullMaxMessages(64))
	if err != nil {
		return nil, fmt.Errorf("consume %s: %w", events.PeopleConsumer, err)
	}
	go func() {
		defer close(p.done)
		bo := backoff.NewExponentialBackOff()
		bo.InitialInterval, bo.MaxInterval, bo.MaxElapsedTime = 250*time.Millisecond, 10*time.Second, 0
		for {
			err := p.pull(ctx, it)
			if ctx.Err() != nil {
				return
			}
			wait := bo.NextBackOff()
			p.log.Warn("people consumer stopped delivering; binding again", zap.Error(err), zap.Duration("retry_in", wait))
			if !sleep(ctx, wait) {
				return
			}
			cons := o.Consumer
			if o.Rebind != nil {
				if cons, err = o.Rebind(ctx); err != nil {
					p.log.Warn("bind people consumer", zap.Error(err))
					continue
				}
			}
			if it, err = cons.Messages(jetstream.PullMaxMessages(64)); err != nil {
				p.log.Warn("bind people consumer", zap.Error(err))
			}
		}
	}()
	return p, nil
}

// pull reconciles the events it delivers, one at a time, until ctx ends
// (nil) or it stops delivering.
func (p *People) pull(ctx context.Context, it jetstream.MessagesContext) error {
	if it == nil {
		return errors.New("no iterator")
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		switch {
		case errors.Is(err, jetstream.ErrMsgIteratorClosed):
			return err
		case errors.Is(err, jetstream.ErrConsumerDeleted), errors.Is(err, jetstream.ErrConsumerNotFound):
			return err
		case err != nil:
			p.log.Warn("pull person events", zap.Error(err))
			continue
		}
		fired := msg.Headers().Get(jetstream.SchedulerHeader) != ""
		p.settle(msg, p.Handle(ctx, msg.Subject(), msg.Data(), metadata(msg), fired))
	}
}

// Done is closed once the consumer has stopped.
func (p *People) Done() <-chan struct{} { return p.done }

func metadata(msg jetstream.Msg) jetstream.MsgMetadata {
	if m, err := msg.Metadata(); err == nil {
		return *m
	}
	return jetstream.MsgMetadata{Timestamp: time.Now()}
}

// errInvalidEvent marks an event that was refused (and its person.failed
// published): it is terminated, never redelivered.
var errInvalidEvent = errors.New("invalid person event")

func (p *People) settle(msg jetstream.Msg, err error) {
	switch {
	case err == nil:
		_ = msg.Ack()
	case errors.Is(err, errInvalidEvent):
		_ = msg.TermWithReason(err.Error())
	default:
		p.log.Warn("person event not reconciled; redelivering", zap.String("subject", msg.Subject()), zap.Error(err))
		_ = msg.NakWithDelay(time.Second)
	}
}

// Handle reconciles one delivery of a person event; one whose effective
// time is ahead is scheduled instead, unless JetStream published it from
// its schedule (fired). An error other than errInvalidEvent means NATS
// could not be reached; the event is then delivered again and reconciled
// to the same commands.
func (p *People) Handle(ctx context.Context, subject string, payload []byte, meta jetstream.MsgMetadata, fired bool) error {
	ev, err := events.DecodePersonEvent(subject, payload)
	if err == nil {
		// A time far ahead would order the person's events wrongly, and
		// every command derived from it would be refused one by one.
		if v := events.CheckTime(ev.Time, time.Now(), p.opts.MaxClockSkew); v != nil {
			err = v
		}
	}
	var verr *events.ValidationError
	if errors.As(err, &verr) {
		if ev.ID == "" {
			ev.ID = "invalid-" + events.PeopleStream + "-" + uitoa(meta.Sequence.Stream)
		}
		res := events.NewPersonResult(ev, meta.Sequence.Stream, time.Now(), events.PersonResultData{
			Error: &events.Error{Code: verr.Code, Message: verr.Message}})
		return p.refuse(ctx, res)
	}
	if !people.Due(ev, time.Now(), fired) {
		return p.schedule(ctx, ev, payload, meta)
	}
	in := people.Input{Event: ev, Seq: meta.Sequence.Stream, Published: meta.Timestamp}
	for {
		plan, rev, err := p.plan(ctx, ev.Data.Person, in)
		if err != nil {
			return err
		}
		for _, cmd := range plan.Commands {
			if err := p.publishJSON(ctx, cmd.Type, cmd.ID, cmd); err != nil {
				return err
			}
		}
		if plan.Store {
			err := p.store(ctx, ev.Data.Person, plan.Record, rev)
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
				continue // another replica applied an event of this person: plan again
			}
			if err != nil {
				return err
			}
		}
		res := events.NewPersonResult(ev, meta.Sequence.Stream, time.Now(), plan.Result)
		if err := p.publishJSON(ctx, res.Type, res.ID, res); err != nil {
			return err
		}
		p.observe(res)
		p.log.Info("person reconciled", zap.String("event_id", ev.ID), zap.String("person", ev.Data.Person),
			zap.Int("commands", len(plan.Commands)), zap.Bool("skipped", plan.Result.Skipped != nil))
		return nil
	}
}

// refuse publishes res, a person.failed outcome, and returns the
// errInvalidEvent that terminates the event.
func (p *People) refuse(ctx context.Context, res events.PersonResult) error {
	if err := p.publishJSON(ctx, res.Type, res.ID, res); err != nil {
		return err
	}
	p.observe(res)
	p.log.Info("person event refused", zap.String("event_id", res.Data.EventID), zap.String("error", res.Data.Error.Message))
	return fmt.Errorf("%w: %s", errInvalidEvent, res.Data.Error.Message)
}

// observe counts a published outcome: reconciled, skipped, scheduled or
// its error code, by event type.
func (p *People) observe(res events.PersonResult) {
	if p.opts.Observer == nil {
		return
	}
	outcome := "reconciled"
	switch d := res.Data; {
	case d.Error != nil:
		outcome = d.Error.Code
	case d.Skipped != nil:
		outcome = "skipped"
	case res.Type == events.SubjectPersonScheduled:
		outcome = "scheduled"
	}
	eventType := res.Data.EventType
	if !slices.Contains(events.PersonSubjects, eventType) {
		eventType = "invalid" // bounded labels: a refused event's type is anything
	}
	p.opts.Observer.ObservePerson(eventType, outcome)
}

// plan reads the person's record and reconciles the event against it.
func (p *People) plan(ctx context.Context, person string, in people.Input) (people.Plan, uint64, error) {
	prev, rev, err := PersonRecord(ctx, p.opts.Bucket, person)
	if err != nil {
		return people.Plan{}, 0, err
	}
	return p.opts.Policy.Reconcile(prev, in, p.opts.Vendors), rev, nil
}

// PersonRecord reads a person's record from the people bucket: nil (and
// revision 0) for a person not seen before.
func PersonRecord(ctx context.Context, kv jetstream.KeyValue, person string) (*people.Record, uint64, error) {
	e, err := kv.Get(ctx, personKey(person))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read person %s: %w", person, err)
	}
	rec := new(people.Record)
	if err := json.Unmarshal(e.Value(), rec); err != nil {
		return nil, 0, fmt.Errorf("decode person %s: %w", person, err)
	}
	return rec, e.Revision(), nil
}

func (p *People) store(ctx context.Context, person string, rec people.Record, rev uint64) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = p.opts.Bucket.Create(ctx, personKey(person), b)
	} else {
		_, err = p.opts.Bucket.Update(ctx, personKey(person), b, rev)
	}
	return err
}

// publishJSON publishes v as a CloudEvent with Nats-Msg-Id id, retrying
// until the stream acknowledges it or ctx ends; a retry that did land is
// deduplicated by the id.
func (p *People) publishJSON(ctx context.Context, subject, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: subject, Data: b, Header: nats.Header{events.HeaderContentType: []string{events.ContentType}}}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval, bo.MaxElapsedTime = 50*time.Millisecond, 2*time.Second, 30*time.Second
	return backoff.Retry(func() error {
		_, err := p.opts.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(id))
		return err
	}, backoff.WithContext(bo, ctx))
}

// StartPeopleService sets up the people stream, consumer and bucket on js
// (and scheduling for dated events) and starts reconciling person events
// until ctx ends. o carries the policy, the vendors, the clock skew and
// the logger; the rest of it is filled in here.
func StartPeopleService(ctx context.Context, js jetstream.JetStream, s Settings, o PeopleOptions) (*People, error) {
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cons, kv, err := SetupPeople(setupCtx, js, s)
	if err != nil {
		return nil, fmt.Errorf("set up people: %w", err)
	}
	unavailable, err := SetupPeopleScheduling(setupCtx, js)
	if err != nil {
		return nil, fmt.Errorf("set up people: %w", err)
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if unavailable != nil {
		o.Logger.Warn("dated person events will fail", zap.Error(unavailable))
	}
	o.JS, o.Consumer, o.Bucket, o.Scheduling = js, cons, kv, unavailable
	o.Rebind = func(ctx context.Context) (jetstream.Consumer, error) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cons, _, err := SetupPeople(ctx, js, s)
		if err != nil {
			return nil, err
		}
		// A people stream created again needs its schedule subjects again.
		if unavailable, err := SetupPeopleScheduling(ctx, js); err != nil || unavailable != nil {
			o.Logger.Warn("people stream scheduling", zap.Error(errors.Join(err, unavailable)))
		}
		return cons, nil
	}
	return StartPeople(ctx, o)
}
