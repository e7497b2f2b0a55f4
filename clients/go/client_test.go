package mqgateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"mqgateway"
)

func dial(t *testing.T, addr string) *mqgateway.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := mqgateway.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// drain gets (at-least-once) until want messages arrived, acking each batch with the next get and at the end.
func drain(t *testing.T, c *mqgateway.Client, topic, group string, want int) []*mqgateway.ReceivedMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got []*mqgateway.ReceivedMessage
	var receipts []string
	for len(got) < want && ctx.Err() == nil {
		res, err := c.Get(ctx, topic, group, mqgateway.GetOptions{WaitMs: 2000, InvisibleMs: 60000, Ack: receipts})
		if err != nil {
			t.Fatal(err)
		}
		receipts = receipts[:0]
		for _, m := range res.Messages {
			receipts = append(receipts, m.Receipt)
		}
		got = append(got, res.Messages...)
	}
	if _, err := c.Ack(ctx, topic, group, receipts); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSendReceiveByteIdentical(t *testing.T) {
	c := dial(t, devAddr)
	for _, size := range []int{500, 2048, 1 << 20, 5 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			topic := unique(fmt.Sprintf("GoBytes%d", size))
			body := make([]byte, size)
			_, _ = rand.Read(body)
			r, err := c.Send(context.Background(), &mqgateway.Message{Topic: topic, Body: body, Tags: "T", Keys: []string{"k1"}, Properties: map[string]string{"size": fmt.Sprint(size)}})
			if err != nil || len(r.MsgID) != 32 {
				t.Fatalf("send: %+v %v", r, err)
			}
			got := drain(t, c, topic, "g", 1)
			if len(got) != 1 {
				t.Fatalf("got %d messages", len(got))
			}
			m := got[0]
			if !bytes.Equal(m.Body, body) {
				t.Fatalf("body differs: sent %d bytes, got %d", len(body), len(m.Body))
			}
			if m.Tags != "T" || len(m.Keys) != 1 || m.Keys[0] != "k1" || m.Properties["size"] != fmt.Sprint(size) || m.MsgID != r.MsgID {
				t.Fatalf("fields differ: %+v", m)
			}
			if r.UniqueID != "" && m.UniqueID != r.UniqueID {
				t.Fatalf("uniqueId %q != %q", m.UniqueID, r.UniqueID)
			}
		})
	}
}

func TestErrorsPrintAndMatch(t *testing.T) {
	c := dial(t, devAddr)
	ctx := context.Background()
	topic := unique("GoErr")
	_, err := c.SendBatch(ctx, []*mqgateway.Message{{Topic: topic, Body: []byte("ok")}, {Topic: "bad topic!", Body: []byte("x")}})
	if !errors.Is(err, mqgateway.ErrInvalidArgument) || errors.Is(err, mqgateway.ErrBusy) {
		t.Fatalf("want ErrInvalidArgument, got %v", err)
	}
	if !strings.HasPrefix(err.Error(), "mqgateway: INVALID_ARGUMENT: ") {
		t.Fatalf("prints as %q", err.Error())
	}
	var e *mqgateway.Error
	if !errors.As(err, &e) || e.Index != 1 || e.Retryable {
		t.Fatalf("details: %+v", e)
	}
	// Refused before anything is written: the connection stays usable.
	if _, err := c.SendBatch(ctx, []*mqgateway.Message{{Topic: topic}}); !errors.Is(err, mqgateway.ErrInvalidInput) {
		t.Fatalf("empty body: %v", err)
	}
	if _, err := c.Send(ctx, &mqgateway.Message{Topic: topic, Body: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	if got := drain(t, c, topic, "g", 1); len(got) != 1 || string(got[0].Body) != "after" {
		t.Fatalf("got %v", got)
	}
	_, err = mqgateway.Dial(ctx, "127.0.0.1:1")
	if !errors.Is(err, mqgateway.ErrConnection) || !strings.HasPrefix(err.Error(), "mqgateway: connection to 127.0.0.1:1") {
		t.Fatalf("dial error: %v", err)
	}
}

func TestContextDeadlineAndCancelInterruptALongPoll(t *testing.T) {
	c := dial(t, devAddr)
	topic := unique("GoCtx")
	if _, err := c.Send(context.Background(), &mqgateway.Message{Topic: topic, Body: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	drain(t, c, topic, "g", 1)
	// Nothing left: a 20 s long poll with a 1 s deadline returns after about 1 s.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Get(ctx, topic, "g", mqgateway.GetOptions{WaitMs: 20000, InvisibleMs: 1000})
	if took := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || took > 3*time.Second || took < 900*time.Millisecond {
		t.Fatalf("deadline: %v after %v", err, took)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel2)
	start = time.Now()
	_, err = c.Get(ctx2, topic, "g", mqgateway.GetOptions{WaitMs: 20000, InvisibleMs: 1000})
	if took := time.Since(start); !errors.Is(err, context.Canceled) || took > 2*time.Second {
		t.Fatalf("cancel: %v after %v", err, took)
	}
	// The client dials again on its next call.
	if _, err := c.Send(context.Background(), &mqgateway.Message{Topic: topic, Body: []byte("y")}); err != nil {
		t.Fatal(err)
	}
}

func TestAcksIdempotentPerReceipt(t *testing.T) {
	c := dial(t, devAddr)
	ctx := context.Background()
	topic := unique("GoAck")
	msgs := []*mqgateway.Message{{Topic: topic, Body: []byte("a")}, {Topic: topic, Body: []byte("b")}, {Topic: topic, Body: []byte("c")}}
	if _, err := c.SendBatch(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	var receipts []string
	for deadline := time.Now().Add(30 * time.Second); len(receipts) < 3 && time.Now().Before(deadline); {
		res, err := c.Get(ctx, topic, "g", mqgateway.GetOptions{WaitMs: 2000, InvisibleMs: 60000})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Messages {
			receipts = append(receipts, m.Receipt)
		}
	}
	first, err := c.Ack(ctx, topic, "g", receipts)
	if err != nil || len(first) != 3 {
		t.Fatalf("ack: %v %v", first, err)
	}
	if first[0] == mqgateway.AckUnknown {
		// A gateway without per-receipt results (before the consumption issue) refuses a repeated ack.
		if _, err := c.Ack(ctx, topic, "g", receipts); err == nil {
			t.Fatal("old gateway accepted a repeated ack")
		}
		return
	}
	again, err := c.Ack(ctx, topic, "g", receipts)
	if err != nil {
		t.Fatalf("a repeated ack failed: %v", err)
	}
	for i := range receipts {
		if first[i] != mqgateway.AckAcked || again[i] != mqgateway.AckAlreadyAcked {
			t.Fatalf("statuses %v then %v", first, again)
		}
	}
	if bad, err := c.Ack(ctx, topic, "g", []string{"garbage"}); err != nil || bad[0] != mqgateway.AckInvalid {
		t.Fatalf("garbage receipt: %v %v", bad, err)
	}
}

func TestProducerFailsOverToTheNextAddress(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := l.Addr().String()
	l.Close()
	p, err := mqgateway.NewProducer([]string{dead, devAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	topic := unique("GoFailover")
	res, err := p.SendBatch(context.Background(), []*mqgateway.Message{{Topic: topic, Body: []byte("1")}, {Topic: topic, Body: []byte("2")}})
	if err != nil || len(res) != 2 || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("%+v %v", res, err)
	}
}
