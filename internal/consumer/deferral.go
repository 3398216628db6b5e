package consumer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A deferred command leaves the consumer: it is acked, and a one-time
// JetStream message schedule on the command stream publishes it again, byte
// for byte, on its own subject at its time. Waiting, it holds no
// ack-pending slot, so no backlog of one vendor can fill MaxAckPending and
// starve the others. The copy keeps the command's id and time, and carries
// its first stream sequence and stream time in headers, so idempotency and
// per-seat ordering see the same command.
const (
	// ScheduleSubjects are the command stream's schedule subjects; the
	// worker's consumer never reads them.
	ScheduleSubjects = "license.schedule.>"
	retryPrefix      = "license.schedule.retry."

	headerSeq       = "Seatkeeper-Command-Seq"
	headerPublished = "Seatkeeper-Command-Published"
	// headerParked counts how often a command was put off for want of room
	// in the window, so that its delay grows.
	headerParked = "Seatkeeper-Parked"
)

// retrySubject is the schedule subject of one command: one per command
// payload, so that deferring it again replaces its schedule instead of
// adding one, while a different command reusing the id keeps its own.
func retrySubject(payload []byte) string {
	sum := sha256.Sum256(payload)
	return retryPrefix + hex.EncodeToString(sum[:16])
}

// seq is the command's stream sequence: the first one, for a copy a
// schedule published.
func (j *job) seq() uint64 {
	if n, err := strconv.ParseUint(j.msg.Headers().Get(headerSeq), 10, 64); err == nil && n > 0 {
		return n
	}
	return j.meta.Sequence.Stream
}

// published is when the command was first stored in the stream.
func (j *job) published() time.Time {
	if t, err := time.Parse(time.RFC3339Nano, j.msg.Headers().Get(headerPublished)); err == nil {
		return t
	}
	return j.meta.Timestamp
}

// parked is how often the command was put off for want of room.
func (j *job) parked() int {
	n, _ := strconv.Atoi(j.msg.Headers().Get(headerParked))
	return n
}

// scheduleAt rounds t up to the whole second a schedule can name.
func scheduleAt(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// reschedule stores a schedule that publishes the command again at at.
// parked is the count to carry in headerParked.
func (l *Loop) reschedule(ctx context.Context, j *job, at time.Time, parked int) error {
	msg := &nats.Msg{Subject: retrySubject(j.msg.Data()), Data: j.msg.Data(), Header: nats.Header{}}
	for k, v := range j.msg.Headers() {
		if !strings.HasPrefix(k, "Nats-") {
			msg.Header[k] = v
		}
	}
	msg.Header.Set(headerSeq, uitoa(j.seq()))
	msg.Header.Set(headerPublished, j.published().UTC().Format(time.RFC3339Nano))
	if parked > 0 {
		msg.Header.Set(headerParked, strconv.Itoa(parked))
	} else {
		msg.Header.Del(headerParked)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := l.opts.JS.PublishMsg(ctx, msg, jetstream.WithScheduleAt(scheduleAt(at)), jetstream.WithScheduleTarget(j.msg.Subject()))
	return err
}

// errParked is a command put off, unstarted, for want of room in the
// window: its vendor already holds its share, or its user a long queue.
var errParked = errors.New("put off: no room in the window")

// parkedError carries how often the command has been put off.
type parkedError struct{ n int }

func (e *parkedError) Error() string        { return errParked.Error() }
func (e *parkedError) Is(target error) bool { return target == errParked }

// parkDelay grows with how often a command was put off: 1 s, 2 s, 4 s, …
// up to 30 s, so that a long backlog does not spin.
func parkDelay(err error) time.Duration {
	var p *parkedError
	n := 1
	if errors.As(err, &p) {
		n = p.n
	}
	return min(time.Second<<min(n-1, 5), 30*time.Second)
}
