package mqgateway

import (
	"context"
	"errors"
	"math/rand"
	"time"
)

// defaultBusyWait is used when a BUSY answer carries no retryAfterMs.
const defaultBusyWait = time.Second

// backoff: BUSY waits RetryAfter (plus up to 20 % jitter, so that consumers do not come back in step);
// UNAVAILABLE, TIMEOUT and connection failures back off exponentially with jitter, from base up to max.
type backoff struct {
	base, max time.Duration
	attempt   int
}

func (b *backoff) reset() { b.attempt = 0 }

func (b *backoff) next(err error) time.Duration {
	b.attempt++
	var e *Error
	if errors.As(err, &e) && e.Code == CodeBusy {
		wait := e.RetryAfter
		if wait <= 0 {
			wait = defaultBusyWait
		}
		return wait + time.Duration(rand.Int63n(int64(wait)/5+1))
	}
	shift := b.attempt - 1
	if shift > 20 {
		shift = 20
	}
	ceiling := b.base << uint(shift)
	if ceiling > b.max || ceiling <= 0 {
		ceiling = b.max
	}
	return ceiling/2 + time.Duration(rand.Int63n(int64(ceiling)/2+1))
}

// sleep waits d or until ctx is done; false when ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
