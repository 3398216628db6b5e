package ingress

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// Path is where events are posted.
const Path = "/v1/events"

// UnavailableRetry is the Retry-After of a 503: JetStream could not take
// the events, and the sender should try again shortly.
const UnavailableRetry = 5 * time.Second

// Options configure a Handler.
type Options struct {
	Tokens  []Token
	Secrets []WebhookSecret
	// Rate and Burst bound each client's requests.
	Rate  float64
	Burst int
	// PublishTimeout bounds the wait for JetStream's acknowledgements.
	PublishTimeout time.Duration
	Kinds          Kinds // DefaultKinds when nil
	Publisher      Publisher
	Replay         ReplayGuard
	Metrics        *Metrics // optional
	Logger         *zap.Logger
	Now            func() time.Time // time.Now when nil
}

// Handler serves the ingress: POST and OPTIONS on Path.
type Handler struct {
	auth    *authenticator
	limit   *limiter
	kinds   Kinds
	pub     Publisher
	replay  ReplayGuard
	timeout time.Duration
	metrics *Metrics
	log     *zap.Logger
	now     func() time.Time
}

// NewHandler returns the ingress handler.
func NewHandler(o Options) (*Handler, error) {
	if len(o.Tokens) == 0 && len(o.Secrets) == 0 {
		return nil, errors.New("ingress: no token and no secret: no caller could authenticate")
	}
	if o.Publisher == nil || (len(o.Secrets) > 0 && o.Replay == nil) {
		return nil, errors.New("ingress: a publisher is required, and a replay guard with webhook secrets")
	}
	h := &Handler{
		auth: newAuthenticator(o.Tokens, o.Secrets), limit: newLimiter(o.Rate, o.Burst),
		kinds: o.Kinds, pub: o.Publisher, replay: o.Replay, timeout: o.PublishTimeout,
		metrics: o.Metrics, log: o.Logger, now: o.Now,
	}
	if h.kinds == nil {
		h.kinds = DefaultKinds()
	}
	if h.log == nil {
		h.log = zap.NewNop()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.timeout <= 0 {
		h.timeout = 5 * time.Second
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	sw := &statusWriter{ResponseWriter: w}
	defer func() { h.metrics.request(r.Method, sw.status, h.now().Sub(start)) }()
	if r.URL.Path != Path {
		writeProblem(sw, problem(http.StatusNotFound, "events are posted to "+Path))
		return
	}
	switch r.Method {
	case http.MethodPost:
		h.post(sw, r)
	case http.MethodOptions:
		h.handshake(sw, r)
	default:
		sw.Header().Set("Allow", "POST, OPTIONS")
		writeProblem(sw, problem(http.StatusMethodNotAllowed, "events are sent with POST"))
	}
}

// handshake answers the CloudEvents webhook validation handshake: the
// ingress takes events from any origin that authenticates, at the client
// rate limit.
func (h *Handler) handshake(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", "POST, OPTIONS")
	if origin := r.Header.Get("WebHook-Request-Origin"); origin != "" {
		w.Header().Set("WebHook-Allowed-Origin", origin)
		allowed := h.limit.perMinute()
		if asked, err := strconv.Atoi(r.Header.Get("WebHook-Request-Rate")); err == nil && asked > 0 && asked < allowed {
			allowed = asked
		}
		w.Header().Set("WebHook-Allowed-Rate", strconv.Itoa(allowed))
	}
	w.WriteHeader(http.StatusOK)
}

// post takes the events of one request: read, authenticate, limit, refuse
// replays, parse, validate every event, then publish them all.
func (h *Handler) post(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBatchBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeProblem(w, problem(http.StatusRequestEntityTooLarge, "the request body is over the 1 MiB limit"))
			return
		}
		writeProblem(w, problem(http.StatusBadRequest, "the request body could not be read"))
		return
	}
	cred, msg, err := h.auth.authenticate(r.Header, body, h.now())
	if err != nil {
		// The reason is ours and names no credential; the header's value
		// is never logged.
		h.log.Warn("ingress: request not authenticated", zap.String("remote", r.RemoteAddr), zap.String("reason", err.Error()))
		unauthorized(w, err)
		return
	}
	if ok, wait := h.limit.allow(cred.AuthID(), h.now()); !ok {
		retryAfter(w, wait)
		writeProblem(w, problem(http.StatusTooManyRequests, "over this client's request rate: retry after the Retry-After seconds"))
		return
	}
	if msg != nil && !h.claim(r.Context(), w, cred, *msg) {
		return
	}
	status := h.accept(w, r, body, cred)
	// Only a delivery whose events were stored counts against a replay: the
	// sender's retry of one refused or not stored gets the same judgement
	// again, not "replay".
	if msg != nil && status != http.StatusAccepted {
		h.replay.Release(context.WithoutCancel(r.Context()), *msg)
	}
}

// claim refuses a replayed webhook delivery. It reports whether to go on.
func (h *Handler) claim(ctx context.Context, w http.ResponseWriter, cred Credential, msg Delivery) bool {
	fresh, err := h.replay.Claim(ctx, msg)
	switch {
	case err != nil:
		h.log.Warn("ingress: replay check failed", zap.String("credential", cred.AuthID()), zap.Error(err))
		retryAfter(w, UnavailableRetry)
		writeProblem(w, problem(http.StatusServiceUnavailable, "the replay check is unavailable: retry later"))
		return false
	case !fresh:
		h.log.Warn("ingress: webhook replay refused", zap.String("credential", cred.AuthID()), zap.String("webhook_id", msg.ID))
		unauthorized(w, errWebhookIDReplayed)
		return false
	}
	return true
}

// accept parses, validates and publishes the events of an authenticated
// request, writes the answer and returns its status.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request, body []byte, cred Credential) int {
	m, raws, err := h.parse(r.Header, body)
	if err != nil {
		var re *requestError
		errors.As(err, &re)
		writeProblem(w, problem(re.status, re.detail))
		return re.status
	}
	evs, answers, ok := h.validate(raws, cred)
	if !ok {
		return h.refuseInvalid(w, m, answers)
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.timeout)
	defer cancel()
	acks := h.pub.Publish(ctx, evs)
	status := http.StatusAccepted
	for i, a := range acks {
		answers[i] = h.answer(answers[i], a, cred)
		if a.Err != nil {
			status = http.StatusServiceUnavailable
		}
	}
	if status == http.StatusServiceUnavailable {
		retryAfter(w, UnavailableRetry)
		p := problem(status, "JetStream could not take the events: retry after the Retry-After seconds; events already stored are deduplicated by id")
		if m == modeBatch {
			p.Events = answers
		}
		writeProblem(w, p)
		return status
	}
	if m == modeBatch {
		writeBody(w, status, "application/json", Accepted{Events: answers})
	} else {
		writeBody(w, status, "application/json", answers[0])
	}
	return status
}

// parse returns the events of a request in structured JSON.
func (h *Handler) parse(hd http.Header, body []byte) (mode, [][]byte, error) {
	m, err := modeOf(hd)
	if err != nil {
		return m, nil, err
	}
	switch m {
	case modeBatch:
		batch, err := splitBatch(body)
		if err != nil {
			return m, nil, err
		}
		raws := make([][]byte, len(batch))
		for i, ev := range batch {
			raws[i] = ev
		}
		return m, raws, nil
	case modeBinary:
		body, err = binaryEvent(hd, body)
		if err != nil {
			return m, nil, err
		}
	}
	if len(body) > MaxEventBytes {
		return m, nil, refuse(http.StatusRequestEntityTooLarge, "the event is %d bytes, over the %d-byte limit", len(body), MaxEventBytes)
	}
	return m, [][]byte{body}, nil
}

// validate prepares every event; all must pass for any to be published.
func (h *Handler) validate(raws [][]byte, cred Credential) ([]Event, []Answer, bool) {
	evs := make([]Event, len(raws))
	answers := make([]Answer, len(raws))
	ok := true
	for i, raw := range raws {
		ev, err := h.kinds.prepare(raw, cred)
		if err != nil {
			var inv *invalidEvent
			errors.As(err, &inv)
			answers[i] = Answer{Index: i, ID: inv.ID, Type: inv.Type, Status: http.StatusBadRequest,
				Code: inv.Code, Detail: inv.Detail, Field: inv.Field}
			h.metrics.event(h.kinds, inv.Type, outcomeInvalid)
			ok = false
			continue
		}
		evs[i] = ev
		answers[i] = Answer{Index: i, ID: ev.ID, Type: ev.Type, Status: http.StatusAccepted}
	}
	return evs, answers, ok
}

func (h *Handler) refuseInvalid(w http.ResponseWriter, m mode, answers []Answer) int {
	var first Answer
	for _, a := range answers {
		if a.Status != http.StatusAccepted {
			first = a
			break
		}
	}
	p := problem(http.StatusBadRequest, first.Detail)
	p.Code, p.Field, p.ID = first.Code, first.Field, first.ID
	if m == modeBatch {
		p.Detail = "event " + strconv.Itoa(first.Index) + ": " + first.Detail + " (nothing in the batch was published)"
		for i := range answers {
			if answers[i].Status == http.StatusAccepted {
				answers[i].Status, answers[i].Detail = 0, "valid, not published: another event of the batch is invalid"
			}
		}
		p.Events = answers
	}
	writeProblem(w, p)
	return p.Status
}

// answer completes the answer for one event with its ack, and counts and
// logs the outcome.
func (h *Handler) answer(a Answer, ack Ack, cred Credential) Answer {
	if ack.Err != nil {
		a.Status, a.Detail = http.StatusServiceUnavailable, "not stored: JetStream could not take it"
		h.metrics.event(h.kinds, a.Type, outcomeUnavailable)
		h.log.Warn("ingress: publish failed", zap.String("event_id", a.ID), zap.String("type", a.Type), zap.Error(ack.Err))
		return a
	}
	a.Stream, a.Seq, a.Duplicate = ack.Stream, ack.Seq, ack.Duplicate
	outcome := outcomeAccepted
	if ack.Duplicate {
		outcome = outcomeDuplicate
	}
	h.metrics.event(h.kinds, a.Type, outcome)
	h.log.Info("ingress: event accepted", zap.String("event_id", a.ID), zap.String("type", a.Type),
		zap.String("credential", cred.AuthID()), zap.String("stream", ack.Stream), zap.Uint64("stream_seq", ack.Seq),
		zap.Bool("duplicate", ack.Duplicate))
	return a
}

// statusWriter remembers the status written, for the metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}
