package mqgateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Producer sends with retries, reconnecting and failing over across gateway addresses in order. Safe for
// concurrent use (one connection; calls take turns).
//
// A retryable failure (BUSY: after RetryAfter; UNAVAILABLE, TIMEOUT, a broken connection: after a jittered backoff,
// on the next address) is retried up to Retries times; only the messages that failed are sent again. A retried
// TIMEOUT or connection failure may store a message twice (at-least-once).
type Producer struct {
	// Retries is how many times a retryable failure is retried. Default 3.
	Retries int
	// BaseBackoff and MaxBackoff bound the jittered backoff. Defaults 100 ms and 5 s.
	BaseBackoff, MaxBackoff time.Duration
	// OnRetry, when set, is called before each retry with the error (the call's, or the first failed message's)
	// and the wait.
	OnRetry func(err error, wait time.Duration)

	addrs []string
	opts  []Option
	mu    sync.Mutex
	next  int
	c     *Client
}

// NewProducer makes a producer for one or several gateway addresses; it connects on the first send.
func NewProducer(addrs []string, opts ...Option) (*Producer, error) {
	if len(addrs) == 0 {
		return nil, inputError("at least one gateway address is needed")
	}
	return &Producer{Retries: 3, BaseBackoff: 100 * time.Millisecond, MaxBackoff: 5 * time.Second, addrs: addrs, opts: opts}, nil
}

func (p *Producer) client(ctx context.Context) (*Client, error) {
	if p.c == nil {
		c, err := Dial(ctx, p.addrs[p.next%len(p.addrs)], p.opts...)
		if err != nil {
			return nil, err
		}
		p.c = c
	}
	return p.c, nil
}

func (p *Producer) failover() {
	if p.c != nil {
		_ = p.c.Close()
		p.c = nil
	}
	p.next++
}

// SendBatch sends msgs and returns one SendResult per message, in order; after the retries, a message that was still
// not stored has Err set. The error is a non-retryable refusal of the whole batch (e.g. ErrInvalidArgument, with
// Index), the last error when every retry failed, or the context's error.
func (p *Producer) SendBatch(ctx context.Context, msgs []*Message) ([]SendResult, error) {
	if _, err := checkMessages(msgs); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	results := make([]SendResult, len(msgs))
	todo := make([]int, len(msgs))
	for i := range todo {
		todo[i] = i
	}
	b := backoff{base: p.BaseBackoff, max: p.MaxBackoff}
	for {
		batch := make([]*Message, len(todo))
		for i, j := range todo {
			batch[i] = msgs[j]
		}
		c, err := p.client(ctx)
		var got []SendResult
		if err == nil {
			got, err = c.SendBatch(ctx, batch)
		}
		if err != nil {
			if ctx.Err() != nil || !IsRetryable(err) || b.attempt >= p.Retries {
				var e *Error
				if errors.As(err, &e) && e.Index >= 0 && e.Index < len(todo) {
					e.Index = todo[e.Index]
				}
				return nil, err
			}
			if errors.Is(err, ErrConnection) {
				p.failover()
			}
			if !sleep(ctx, p.wait(&b, err)) {
				return nil, fmt.Errorf("mqgateway: send: %w", ctx.Err())
			}
			continue
		}
		var again []int
		var firstErr error
		for i, j := range todo {
			results[j] = got[i]
			if got[i].Err != nil && IsRetryable(got[i].Err) {
				again = append(again, j)
				if firstErr == nil {
					firstErr = got[i].Err
				}
			}
		}
		if len(again) == 0 || b.attempt >= p.Retries {
			return results, nil
		}
		if !sleep(ctx, p.wait(&b, firstErr)) {
			return results, nil
		}
		todo = again
	}
}

func (p *Producer) wait(b *backoff, err error) time.Duration {
	d := b.next(err)
	if p.OnRetry != nil {
		p.OnRetry(err, d)
	}
	return d
}

// Send sends one message; the error is the message's own when it was not stored after the retries.
func (p *Producer) Send(ctx context.Context, m *Message) (SendResult, error) {
	res, err := p.SendBatch(ctx, []*Message{m})
	if err != nil {
		return SendResult{}, err
	}
	return res[0], res[0].Err
}

// Close closes the connection.
func (p *Producer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c != nil {
		err := p.c.Close()
		p.c = nil
		return err
	}
	return nil
}
