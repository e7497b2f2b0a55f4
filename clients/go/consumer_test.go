package mqgateway_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"mqgateway"
)

var quiet = log.New(io.Discard, "", 0)

func produce(t *testing.T, addr, topic string, n int) {
	t.Helper()
	p, err := mqgateway.NewProducer([]string{addr})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < n; i += 100 {
		var batch []*mqgateway.Message
		for j := i; j < n && j < i+100; j++ {
			batch = append(batch, &mqgateway.Message{Topic: topic, Body: []byte(fmt.Sprintf("m%d", j))})
		}
		if _, err := p.SendBatch(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
}

func assertEmpty(t *testing.T, addr, topic, group string) {
	t.Helper()
	c := dial(t, addr)
	res, err := c.Get(context.Background(), topic, group, mqgateway.GetOptions{WaitMs: 500, InvisibleMs: 1000})
	if err != nil || len(res.Messages) != 0 {
		t.Fatalf("left over: %d messages, %v", len(res.Messages), err)
	}
}

func TestConsumeHandlerFailingOnceIsRedeliveredThenAcked(t *testing.T) {
	topic, group := unique("GoFailOnce"), "fail_once"
	produce(t, devAddr, topic, 5)
	cons, _ := mqgateway.NewConsumer([]string{devAddr})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	attempts := map[string][]int32{}
	stats, err := cons.Consume(ctx, topic, group, func(_ context.Context, m *mqgateway.ReceivedMessage) error {
		mu.Lock()
		defer mu.Unlock()
		attempts[string(m.Body)] = append(attempts[string(m.Body)], m.DeliveryAttempt)
		if string(m.Body) == "m2" && m.DeliveryAttempt == 1 {
			return errors.New("transient failure")
		}
		if len(attempts) == 5 && len(attempts["m2"]) == 2 {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{WaitMs: 1000, InvisibleMs: 1500, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(attempts["m2"]) != "[1 2]" || len(attempts) != 5 || stats.Failed != 1 || stats.Handled < 5 {
		t.Fatalf("attempts %v stats %+v", attempts, stats)
	}
	if stats.Acked+stats.AckUnknown < 5 {
		t.Fatalf("acks %+v", stats)
	}
	time.Sleep(2 * time.Second) // past the visibility timeout
	assertEmpty(t, devAddr, topic, group)
}

func TestConsumeStopsOnContextDeadlineAndAcksWhatItHandled(t *testing.T) {
	topic, group := unique("GoDeadline"), "deadline"
	produce(t, devAddr, topic, 3)
	cons, _ := mqgateway.NewConsumer([]string{devAddr})
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int
	stats, err := cons.Consume(ctx, topic, group, func(context.Context, *mqgateway.ReceivedMessage) error { n++; return nil },
		mqgateway.ConsumeOptions{WaitMs: 20000, InvisibleMs: 2500, Logger: quiet})
	took := time.Since(start)
	if err != nil || n != 3 || took > 3500*time.Millisecond || took < 1400*time.Millisecond {
		t.Fatalf("err %v handled %d after %v", err, n, took)
	}
	// The acks went out with the long poll the deadline interrupted, and again at stop (ALREADY_ACKED, or refused by
	// a gateway without per-receipt results).
	if stats.Acked+stats.AckUnknown+stats.AlreadyAcked+stats.DroppedAcks != 3 {
		t.Fatalf("acks %+v", stats)
	}
	time.Sleep(3 * time.Second) // past the visibility timeout: anything not acked would be delivered again
	assertEmpty(t, devAddr, topic, group)
}

func TestConsumeConcurrentGoroutines(t *testing.T) {
	topic, group := unique("GoConc"), "conc"
	const n = 400
	produce(t, devAddr, topic, n)
	cons, _ := mqgateway.NewConsumer([]string{devAddr})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]bool{}
	_, err := cons.ConsumeBatch(ctx, topic, group, func(_ context.Context, ms []*mqgateway.ReceivedMessage) error {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range ms {
			seen[string(m.Body)] = true
		}
		if len(seen) == n {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{Concurrency: 4, WaitMs: 1000, InvisibleMs: 10000, Logger: quiet})
	if err != nil || len(seen) != n {
		t.Fatalf("err %v, %d of %d", err, len(seen), n)
	}
}

// hog holds size - 1 bytes of the gateway's in-flight budget: a frame announcing size bytes, all sent but the last
// one (the gateway counts bytes as they arrive, and waits frameReadTimeoutMs for the rest).
func hog(t *testing.T, port string, size int) net.Conn {
	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 4+size-1)
	binary.BigEndian.PutUint32(frame, uint32(size))
	frame[4], frame[5] = 0x80, 0x01
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // until the gateway has read them
	return conn
}

func TestConsumeWaitsRetryAfterOnBusy(t *testing.T) {
	const cap = 128 * 1024
	gw := theCluster.gateway(t, 0, "--maxMessageSize=65536", "--frameHeadroomBytes=65536", fmt.Sprintf("--maxInflightBytes=%d", cap),
		fmt.Sprintf("--maxInflightBytesPerConnection=%d", cap), "--busyRetryAfterMs=700")
	addr := "127.0.0.1:" + gw.fields["listenPort"]
	topic, group := unique("GoBusy"), "busy"
	produce(t, addr, topic, 3)
	h := hog(t, gw.fields["listenPort"], cap)
	cons, _ := mqgateway.NewConsumer([]string{addr})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	time.AfterFunc(3500*time.Millisecond, func() { h.Close() })
	var got int
	stats, err := cons.Consume(ctx, topic, group, func(context.Context, *mqgateway.ReceivedMessage) error {
		got++
		if got == 3 {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{WaitMs: 1000, InvisibleMs: 10000, Logger: quiet})
	if err != nil || got != 3 {
		t.Fatalf("err %v got %d", err, got)
	}
	// 3.5 s of BUSY at 700 ms (+ up to 20 % jitter) each: about 4-5 calls, never a tight loop.
	if stats.Busy < 3 || stats.Busy > 6 {
		t.Fatalf("busy calls %d (stats %+v)", stats.Busy, stats)
	}
	// The Producer waits RetryAfter too: BUSY for 1 s, then a retry goes through (retrying in a tight loop would
	// have used up its 3 retries in milliseconds and returned ErrBusy).
	h2 := hog(t, gw.fields["listenPort"], cap)
	time.AfterFunc(time.Second, func() { h2.Close() })
	p, _ := mqgateway.NewProducer([]string{addr})
	defer p.Close()
	start := time.Now()
	if _, err := p.Send(context.Background(), &mqgateway.Message{Topic: topic, Body: []byte("after busy")}); err != nil {
		t.Fatalf("send after BUSY: %v", err)
	}
	if took := time.Since(start); took < 700*time.Millisecond {
		t.Fatalf("retried after %v, before retryAfterMs", took)
	}
}

func TestConsumeSurvivesGatewayRestartAndFailsOver(t *testing.T) {
	port := freePort()
	gw := theCluster.gateway(t, port)
	live := fmt.Sprintf("127.0.0.1:%d", port)
	dead := fmt.Sprintf("127.0.0.1:%d", freePort())
	topic, group := unique("GoRestart"), "restart"
	const n = 300
	produce(t, live, topic, n)
	cons, _ := mqgateway.NewConsumer([]string{dead, live})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var mu sync.Mutex
	seen := map[string]bool{}
	sixty := make(chan struct{})
	go func() {
		select {
		case <-sixty:
		case <-ctx.Done():
			return
		}
		gw.stop(syscall.SIGKILL)
		time.Sleep(time.Second)
		theCluster.gateway(t, port)
	}()
	stats, err := cons.Consume(ctx, topic, group, func(_ context.Context, m *mqgateway.ReceivedMessage) error {
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		seen[string(m.Body)] = true
		if len(seen) == 60 {
			close(sixty)
		}
		if len(seen) == n {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{MaxMessages: 16, WaitMs: 1000, InvisibleMs: 4000, MaxBackoff: 500 * time.Millisecond, Logger: quiet})
	if err != nil || len(seen) != n {
		t.Fatalf("err %v: lost %d of %d", err, n-len(seen), n)
	}
	if stats.Reconnects < 2 {
		t.Fatalf("reconnects %d", stats.Reconnects)
	}
}

func TestConsumeOrderlyKeepsKeyOrderAcrossAFailure(t *testing.T) {
	topic, group := unique("GoOrderly"), "orderly"
	c := dial(t, devAddr)
	var msgs []*mqgateway.Message
	for i := 0; i < 20; i++ {
		msgs = append(msgs, &mqgateway.Message{Topic: topic, Body: []byte(fmt.Sprintf("o%02d", i)), ShardingKey: "order-42"})
	}
	if _, err := c.SendBatch(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	cons, _ := mqgateway.NewConsumer([]string{devAddr})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var handled []string
	failed := false
	_, err := cons.Consume(ctx, topic, group, func(_ context.Context, m *mqgateway.ReceivedMessage) error {
		if string(m.Body) == "o05" && !failed {
			failed = true
			return errors.New("transient failure")
		}
		handled = append(handled, string(m.Body))
		if len(handled) == 20 {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{Orderly: true, MaxMessages: 8, WaitMs: 1000, InvisibleMs: 1500, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range handled {
		if b != fmt.Sprintf("o%02d", i) {
			t.Fatalf("out of order: %v", handled)
		}
	}
	if len(handled) != 20 || !failed {
		t.Fatalf("handled %v", handled)
	}
}
