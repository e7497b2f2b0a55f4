package mqgateway

import (
	"context"
	"errors"
	"log"
	"sync"
	"sync/atomic"
	"time"
)

// Handler processes one message. Returning an error (or panicking) leaves the message unacked: the gateway delivers
// it again after InvisibleMs, with DeliveryAttempt + 1.
type Handler func(ctx context.Context, m *ReceivedMessage) error

// BatchHandler processes the messages of one get together; an error leaves the whole batch unacked.
type BatchHandler func(ctx context.Context, ms []*ReceivedMessage) error

// ConsumeOptions of the consumer loop. Zero values take the defaults.
type ConsumeOptions struct {
	// MaxMessages per get, 1..1024. Default 32.
	MaxMessages int32
	// WaitMs is the long poll of each get, 0..30000. Default 10000.
	WaitMs int32
	// InvisibleMs is how long a delivered message stays leased before it is delivered again. Default 60000.
	InvisibleMs int32
	// TagExpression such as "A || B". Default "*".
	TagExpression string
	// Orderly asks for ordered consumption; after a failure the later messages of the same queue in that batch are
	// not handled either (they come back in order).
	Orderly bool
	// Concurrency is the number of pollers (goroutines, each with its own connection). Default 1.
	Concurrency int
	// BaseBackoff and MaxBackoff bound the jittered backoff on UNAVAILABLE, TIMEOUT and connection failures.
	// Defaults 100 ms and 5 s. BUSY waits the gateway's RetryAfter instead.
	BaseBackoff, MaxBackoff time.Duration
	// Logger receives one line per retried error and per failed handler; nil = the log package's default logger.
	Logger *log.Logger
}

// ConsumeStats counts what one Consume run did (all goroutines together).
type ConsumeStats struct {
	Gets, Received, Handled, Failed int64
	// Acks by outcome: ACKED, ALREADY_ACKED, EXPIRED, INVALID, UNKNOWN (not reported by the gateway).
	Acked, AlreadyAcked, Expired, Invalid, AckUnknown int64
	Busy, Errors, Reconnects, DroppedAcks             int64
}

// Consumer runs consumer loops against one or several gateways (failover in order).
type Consumer struct {
	addrs []string
	opts  []Option
}

// NewConsumer makes a consumer for the gateway addresses.
func NewConsumer(addrs []string, opts ...Option) (*Consumer, error) {
	if len(addrs) == 0 {
		return nil, inputError("at least one gateway address is needed")
	}
	return &Consumer{addrs: addrs, opts: opts}, nil
}

// Consume runs the loop until ctx is done: long polls, h per message, acks of handled messages with the next get.
// On BUSY it waits RetryAfter; on UNAVAILABLE, TIMEOUT and broken connections it backs off with jitter, reconnects,
// and moves to the next address. When ctx is done (cancel, deadline, a signal through signal.NotifyContext), the
// running handler finishes, what was handled is acked, the rest of that batch is left for redelivery, and Consume
// returns nil. A non-retryable error (auth, unknown topic, bad argument) stops every poller and is returned.
func (c *Consumer) Consume(ctx context.Context, topic, group string, h Handler, o ConsumeOptions) (ConsumeStats, error) {
	if h == nil {
		return ConsumeStats{}, inputError("handler is nil")
	}
	return c.run(ctx, topic, group, h, nil, o)
}

// ConsumeBatch is Consume with one handler call per get.
func (c *Consumer) ConsumeBatch(ctx context.Context, topic, group string, h BatchHandler, o ConsumeOptions) (ConsumeStats, error) {
	if h == nil {
		return ConsumeStats{}, inputError("handler is nil")
	}
	return c.run(ctx, topic, group, nil, h, o)
}

type pendingAck struct {
	receipt string
	at      time.Time
}

type loop struct {
	c            *Consumer
	topic, group string
	h            Handler
	bh           BatchHandler
	o            ConsumeOptions
	stats        ConsumeStats
	log          *log.Logger
	cancel       context.CancelFunc
	errOnce      sync.Once
	fatal        error
}

func (c *Consumer) run(ctx context.Context, topic, group string, h Handler, bh BatchHandler, o ConsumeOptions) (ConsumeStats, error) {
	if o.MaxMessages == 0 {
		o.MaxMessages = 32
	}
	if o.WaitMs == 0 {
		o.WaitMs = 10000
	}
	if o.InvisibleMs == 0 {
		o.InvisibleMs = 60000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.BaseBackoff <= 0 {
		o.BaseBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	switch {
	case topic == "" || group == "":
		return ConsumeStats{}, inputError("topic and group must not be empty")
	case o.MaxMessages < 1 || o.MaxMessages > maxBatch:
		return ConsumeStats{}, inputError("MaxMessages must be within 1..%d", maxBatch)
	case o.WaitMs < 0 || o.WaitMs > 30000:
		return ConsumeStats{}, inputError("WaitMs must be within 0..30000")
	case o.InvisibleMs < 1 || o.InvisibleMs > 43200000:
		return ConsumeStats{}, inputError("InvisibleMs must be within 1..43200000")
	}
	l := &loop{c: c, topic: topic, group: group, h: h, bh: bh, o: o, log: o.Logger}
	if l.log == nil {
		l.log = log.Default()
	}
	ctx, l.cancel = context.WithCancel(ctx)
	defer l.cancel()
	var wg sync.WaitGroup
	for i := 0; i < o.Concurrency; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			l.poller(ctx, i)
		}(i)
	}
	wg.Wait()
	return l.snapshot(), l.fatal
}

func (l *loop) snapshot() ConsumeStats {
	s := &l.stats
	return ConsumeStats{Gets: atomic.LoadInt64(&s.Gets), Received: atomic.LoadInt64(&s.Received), Handled: atomic.LoadInt64(&s.Handled),
		Failed: atomic.LoadInt64(&s.Failed), Acked: atomic.LoadInt64(&s.Acked), AlreadyAcked: atomic.LoadInt64(&s.AlreadyAcked),
		Expired: atomic.LoadInt64(&s.Expired), Invalid: atomic.LoadInt64(&s.Invalid), AckUnknown: atomic.LoadInt64(&s.AckUnknown),
		Busy: atomic.LoadInt64(&s.Busy), Errors: atomic.LoadInt64(&s.Errors), Reconnects: atomic.LoadInt64(&s.Reconnects),
		DroppedAcks: atomic.LoadInt64(&s.DroppedAcks)}
}

func (l *loop) countAcks(res []AckStatus) {
	for _, s := range res {
		switch s {
		case AckAcked:
			atomic.AddInt64(&l.stats.Acked, 1)
		case AckAlreadyAcked:
			atomic.AddInt64(&l.stats.AlreadyAcked, 1)
		case AckExpired:
			atomic.AddInt64(&l.stats.Expired, 1)
		case AckInvalid:
			atomic.AddInt64(&l.stats.Invalid, 1)
		default:
			atomic.AddInt64(&l.stats.AckUnknown, 1)
		}
	}
}

func (l *loop) poller(ctx context.Context, index int) {
	var pending []pendingAck
	lease := time.Duration(l.o.InvisibleMs) * time.Millisecond
	b := backoff{base: l.o.BaseBackoff, max: l.o.MaxBackoff}
	addr := index
	var client *Client
	defer func() { l.finalAck(client, pending, lease) }()
	for ctx.Err() == nil {
		live := pending[:0]
		for _, p := range pending {
			if time.Since(p.at) < lease {
				live = append(live, p)
			}
		}
		atomic.AddInt64(&l.stats.DroppedAcks, int64(len(pending)-len(live)))
		pending = live
		n := len(pending)
		if n > maxAcks {
			n = maxAcks
		}
		acks := make([]string, n)
		for i := range acks {
			acks[i] = pending[i].receipt
		}
		if client == nil {
			client = &Client{addr: normalizeAddr(l.c.addrs[addr%len(l.c.addrs)]), cfg: newConfig(l.c.opts)}
		}
		res, err := client.Get(ctx, l.topic, l.group, GetOptions{MaxMessages: l.o.MaxMessages, WaitMs: l.o.WaitMs, InvisibleMs: l.o.InvisibleMs,
			TagExpression: l.o.TagExpression, Ack: acks, Orderly: l.o.Orderly})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !IsRetryable(err) {
				var e *Error
				if len(acks) > 0 && errors.As(err, &e) && e.Code != CodeUnauthenticated && e.Code != CodePermissionDenied {
					// A gateway that refuses old receipts must not stop the loop: drop them (they are redelivered).
					atomic.AddInt64(&l.stats.DroppedAcks, int64(len(acks)))
					pending = pending[len(acks):]
					continue
				}
				l.errOnce.Do(func() { l.fatal = err })
				l.cancel()
				return
			}
			atomic.AddInt64(&l.stats.Errors, 1)
			if errors.Is(err, ErrBusy) {
				atomic.AddInt64(&l.stats.Busy, 1)
			}
			if errors.Is(err, ErrConnection) {
				_ = client.Close()
				client = nil
				addr++
				atomic.AddInt64(&l.stats.Reconnects, 1)
			}
			d := b.next(err)
			l.log.Printf("%v; retrying in %v", err, d.Round(time.Millisecond))
			sleep(ctx, d)
			continue
		}
		b.reset()
		atomic.AddInt64(&l.stats.Gets, 1)
		pending = pending[len(acks):]
		l.countAcks(res.AckResults)
		atomic.AddInt64(&l.stats.Received, int64(len(res.Messages)))
		now := time.Now()
		for _, r := range l.handle(ctx, res.Messages) {
			pending = append(pending, pendingAck{receipt: r, at: now})
		}
	}
}

func (l *loop) safeCall(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.New("handler panicked")
			l.log.Printf("mqgateway: handler panicked: %v", p)
		}
	}()
	return f()
}

// handle runs the handler and returns the receipts of what was handled.
func (l *loop) handle(ctx context.Context, ms []*ReceivedMessage) []string {
	if len(ms) == 0 {
		return nil
	}
	if l.bh != nil {
		if err := l.safeCall(func() error { return l.bh(ctx, ms) }); err != nil {
			atomic.AddInt64(&l.stats.Failed, int64(len(ms)))
			l.log.Printf("mqgateway: handler failed on a batch of %d: %v; left for redelivery", len(ms), err)
			return nil
		}
		atomic.AddInt64(&l.stats.Handled, int64(len(ms)))
		out := make([]string, 0, len(ms))
		for _, m := range ms {
			if m.Receipt != "" {
				out = append(out, m.Receipt)
			}
		}
		return out
	}
	type queue struct {
		broker string
		id     int32
	}
	blocked := map[queue]bool{}
	var out []string
	for _, m := range ms {
		if ctx.Err() != nil {
			break // the rest of the batch is delivered again after InvisibleMs
		}
		q := queue{m.BrokerName, m.QueueID}
		if blocked[q] {
			continue
		}
		if err := l.safeCall(func() error { return l.h(ctx, m) }); err != nil {
			atomic.AddInt64(&l.stats.Failed, 1)
			l.log.Printf("mqgateway: handler failed on %s (attempt %d): %v; left for redelivery", m.MsgID, m.DeliveryAttempt, err)
			if l.o.Orderly {
				blocked[q] = true
			}
			continue
		}
		atomic.AddInt64(&l.stats.Handled, 1)
		if m.Receipt != "" {
			out = append(out, m.Receipt)
		}
	}
	return out
}

// finalAck acks what was handled, on a fresh connection and context (the loop's was cancelled).
func (l *loop) finalAck(client *Client, pending []pendingAck, lease time.Duration) {
	if client != nil {
		_ = client.Close()
	}
	var receipts []string
	for _, p := range pending {
		if time.Since(p.at) < lease {
			receipts = append(receipts, p.receipt)
		}
	}
	if len(receipts) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := backoff{base: l.o.BaseBackoff, max: time.Second}
	for attempt := 0; attempt < 3*len(l.c.addrs) && len(receipts) > 0; attempt++ {
		c := &Client{addr: normalizeAddr(l.c.addrs[attempt%len(l.c.addrs)]), cfg: newConfig(l.c.opts)}
		for len(receipts) > 0 {
			n := len(receipts)
			if n > maxAcks {
				n = maxAcks
			}
			res, err := c.Ack(ctx, l.topic, l.group, receipts[:n])
			if err != nil {
				_ = c.Close()
				if !IsRetryable(err) || !sleep(ctx, b.next(err)) {
					attempt = 1 << 30
				}
				break
			}
			l.countAcks(res)
			receipts = receipts[n:]
		}
		_ = c.Close()
	}
	if len(receipts) > 0 {
		atomic.AddInt64(&l.stats.DroppedAcks, int64(len(receipts)))
		l.log.Printf("mqgateway: could not confirm the ack of %d handled messages at stop (the interrupted call may have applied it); unacked ones are delivered again", len(receipts))
	}
}
