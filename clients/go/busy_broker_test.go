package mqgateway_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"mqgateway"
)

// A broker with tiny flow-control thresholds (one put at a time, a send queue of 1, 1 ms in the queue, SYNC_FLUSH)
// kept saturated by 5 MiB sends answers SYSTEM_BUSY; the gateway turns that into BUSY with retryAfterMs. The
// Producer waits retryAfterMs before each retry, resends only what failed, and has everything stored once the flood
// stops.
func TestProducerUnderBrokerFlowControl(t *testing.T) {
	dir, _ := os.MkdirTemp("", "mq-gotest-busy-")
	defer os.RemoveAll(dir)
	ns, err := startMq("namesrv", "--listenPort=0", "--httpPort=-1", "--logLevel=warn")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.stop(syscall.SIGTERM)
	c := &cluster{ns: ns, namesrv: "127.0.0.1:" + ns.fields["listenPort"]}
	broker, err := startMq("broker", "--brokerName=go-busy", "--storePathRootDir="+dir, "--namesrvAddr="+c.namesrv, "--listenPort=0",
		fmt.Sprintf("--haListenPort=%d", freePort()), "--httpPort=-1", "--logLevel=error", fmt.Sprintf("--mappedFileSizeCommitLog=%d", 256<<20),
		"--registerNameServerPeriod=1000", "--sendThreadPoolQueueCapacity=1", "--sendMessageThreadPoolNums=1", "--waitTimeMillsInSendQueue=1",
		"--flushDiskType=SYNC_FLUSH")
	if err != nil {
		t.Fatal(err)
	}
	defer broker.stop(syscall.SIGTERM)
	gw := c.gateway(t, 0, "--busyRetryAfterMs=300", "--retryTimesWhenSendFailed=0", "--faultAvoidanceMs=0")
	addr := "127.0.0.1:" + gw.fields["listenPort"]
	topic := unique("GoBrokerBusy")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	produce(t, addr, topic, 1) // creates the topic
	var stop int32
	var wg sync.WaitGroup
	big := make([]byte, 5<<20)
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fc, err := mqgateway.Dial(ctx, addr)
			if err != nil {
				return
			}
			defer fc.Close()
			for atomic.LoadInt32(&stop) == 0 && ctx.Err() == nil {
				_, _ = fc.Send(ctx, &mqgateway.Message{Topic: topic, Body: big})
			}
		}()
	}
	p, _ := mqgateway.NewProducer([]string{addr})
	defer p.Close()
	p.Retries = 1000
	var mu sync.Mutex
	var waits []time.Duration
	p.OnRetry = func(err error, wait time.Duration) {
		if errors.Is(err, mqgateway.ErrBusy) {
			mu.Lock()
			waits = append(waits, wait)
			n := len(waits)
			mu.Unlock()
			if n == 3 {
				atomic.StoreInt32(&stop, 1) // the flood ends: the next retries go through
			}
		}
	}
	var batch []*mqgateway.Message
	for i := 0; i < 10; i++ {
		batch = append(batch, &mqgateway.Message{Topic: topic, Body: []byte(fmt.Sprintf("p%d", i))})
	}
	busy := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(waits)
	}
	var res []mqgateway.SendResult
	for round := 0; round < 50 && busy() < 3 && ctx.Err() == nil; round++ {
		if res, err = p.SendBatch(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	atomic.StoreInt32(&stop, 1)
	wg.Wait()
	if busy() < 3 {
		t.Fatalf("the saturated broker never made the gateway answer BUSY (%d)", busy())
	}
	for _, w := range waits {
		if w < 300*time.Millisecond {
			t.Fatalf("retried after %v, before retryAfterMs (300 ms)", w)
		}
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("message %d not stored after the flood: %v", i, r.Err)
		}
	}
}
