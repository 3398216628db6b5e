package consumer

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// schedule puts a person event whose effective time is ahead on its
// schedule subject, for JetStream to publish on the event's own subject at
// that time, and publishes person.scheduled. The event's own bytes are
// scheduled, so the fired copy is the event as it was sent (its sender
// too). A redelivery schedules the same subject again, which replaces the
// schedule rather than adding one.
func (p *People) schedule(ctx context.Context, ev events.PersonEvent, payload []byte, meta jetstream.MsgMetadata) error {
	if p.opts.Scheduling != nil {
		res := events.NewPersonResult(ev, meta.Sequence.Stream, time.Now(), events.PersonResultData{
			Error: &events.Error{Code: events.CodeSchedulingUnavailable, Message: p.opts.Scheduling.Error()}})
		return p.refuse(ctx, res)
	}
	msg := nats.NewMsg(people.ScheduleSubject(ev.Data.Person, ev.ID))
	msg.Data = payload
	msg.Header.Set(events.HeaderContentType, events.ContentType)
	msg.Header.Set(jetstream.MsgTTLHeader, "never")
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := retrying(sctx, func() error {
		_, err := p.opts.JS.PublishMsg(sctx, msg,
			jetstream.WithScheduleAt(lifecycle.DueAt(ev.Data.Effective)),
			jetstream.WithScheduleTarget(ev.Type))
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && apiErr.Code == 400 {
			return backoff.Permanent(err)
		}
		return err
	})
	if err != nil {
		return err
	}
	res := events.NewPersonScheduled(ev, meta.Sequence.Stream, time.Now())
	if err := p.publishJSON(ctx, res.Type, res.ID, res); err != nil {
		return err
	}
	p.observe(res)
	p.log.Info("person event scheduled", zap.String("event_id", ev.ID), zap.String("person", ev.Data.Person),
		zap.Time("effective", ev.Data.Effective))
	return nil
}
