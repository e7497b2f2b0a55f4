package interop

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

func newProducer(t *testing.T, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	all := append([]producer.Option{producer.WithNsResolver(resolver()), producer.WithGroupName(unique("gopg")),
		producer.WithInstanceName(unique("gop")), producer.WithRetry(2), producer.WithSendMsgTimeout(10 * time.Second)}, opts...)
	p, err := rocketmq.NewProducer(all...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// pullAll reads every queue of topic from offset 0 with the Go pull consumer (PullFrom) until `want` messages came.
func pullAll(t *testing.T, topic string, want int) []*primitive.MessageExt {
	t.Helper()
	pc, err := rocketmq.NewPullConsumer(consumer.WithNsResolver(resolver()), consumer.WithGroupName(unique("gopull")),
		consumer.WithInstance(unique("gopc")))
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{}); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	defer pc.Shutdown()
	a := queuesOf(t, topic)
	ctx := context.Background()
	var out []*primitive.MessageExt
	next := map[int]int64{}
	deadline := time.Now().Add(20 * time.Second)
	for len(out) < want && time.Now().Before(deadline) {
		progress := false
		for _, q := range a {
			r, err := pc.PullFrom(ctx, q, next[q.QueueId], 32)
			if err != nil {
				continue
			}
			if r.Status == primitive.PullFound {
				out = append(out, r.GetMessageExts()...)
				progress = true
			}
			next[q.QueueId] = r.NextBeginOffset
		}
		if !progress {
			time.Sleep(200 * time.Millisecond)
		}
	}
	return out
}

func queuesOf(t *testing.T, topic string) []*primitive.MessageQueue {
	t.Helper()
	a, err := newAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	mqs, err := a.FetchPublishMessageQueues(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	return mqs
}

func TestSendSingleAndBatch(t *testing.T) {
	topic := createTopic(t, "GoSend", 2)
	p := newProducer(t)
	ctx := context.Background()
	m := primitive.NewMessage(topic, []byte("go single")).WithTag("TagA").WithKeys([]string{"gk1", "gk2"})
	m.WithProperty("color", "green")
	r, err := p.SendSync(ctx, m)
	if err != nil || r.Status != primitive.SendOK {
		t.Fatalf("single send: %v %v", r, err)
	}
	if len(r.OffsetMsgID) != 32 || r.MsgID == "" {
		t.Fatalf("ids: client %q offset %q", r.MsgID, r.OffsetMsgID)
	}
	var batch []*primitive.Message
	for i := 0; i < 10; i++ {
		batch = append(batch, primitive.NewMessage(topic, []byte(fmt.Sprintf("go batch %d", i))).WithTag("TagB").WithKeys([]string{fmt.Sprintf("bk%d", i)}))
	}
	br, err := p.SendSync(ctx, batch...) // more than one message: SEND_BATCH_MESSAGE
	if err != nil || br.Status != primitive.SendOK {
		t.Fatalf("batch send: %v %v", br, err)
	}
	// the Go client fills SendResult.MsgID of a batch from the batch envelope (empty); the broker's offset ids
	// are one per inner message
	if n := len(strings.Split(br.OffsetMsgID, ",")); n != 10 {
		t.Fatalf("batch offset ids %q: %d of 10", br.OffsetMsgID, n)
	}
	got := pullAll(t, topic, 11)
	if len(got) != 11 {
		t.Fatalf("pulled %d of 11", len(got))
	}
	ids := map[string]bool{}
	offsetIDs := map[string]bool{}
	for _, e := range got {
		ids[e.MsgId] = true
		offsetIDs[e.OffsetMsgId] = true
		body := string(e.Body)
		switch {
		case body == "go single":
			if e.GetTags() != "TagA" || e.GetKeys() != "gk1 gk2" || e.GetProperty("color") != "green" || e.MsgId != r.MsgID {
				t.Errorf("single came back as tags %q keys %q color %q id %q", e.GetTags(), e.GetKeys(), e.GetProperty("color"), e.MsgId)
			}
		case strings.HasPrefix(body, "go batch "):
			if e.GetTags() != "TagB" || e.GetKeys() != "bk"+strings.TrimPrefix(body, "go batch ") {
				t.Errorf("batch message %q came back as tags %q keys %q", body, e.GetTags(), e.GetKeys())
			}
		default:
			t.Errorf("unexpected body %q", body)
		}
	}
	if len(ids) != 11 {
		t.Errorf("%d distinct message ids of 11", len(ids))
	}
	for _, id := range strings.Split(br.OffsetMsgID, ",") {
		if !offsetIDs[id] {
			t.Errorf("batch offset id %s not found among the pulled messages", id)
		}
	}
}

func TestOrderedSendWithShardingKey(t *testing.T) {
	topic := createTopic(t, "GoOrder", 4)
	p := newProducer(t, producer.WithQueueSelector(producer.NewHashQueueSelector()))
	ctx := context.Background()
	const orders, steps = 5, 12
	queueOf := map[string]int{}
	for s := 0; s < steps; s++ {
		for o := 0; o < orders; o++ {
			key := fmt.Sprintf("order-%d", o)
			m := primitive.NewMessage(topic, []byte(fmt.Sprintf("%s:%d", key, s))).WithShardingKey(key)
			r, err := p.SendSync(ctx, m)
			if err != nil || r.Status != primitive.SendOK {
				t.Fatalf("send: %v %v", r, err)
			}
			if q, ok := queueOf[key]; ok && q != r.MessageQueue.QueueId {
				t.Fatalf("%s moved from queue %d to %d", key, q, r.MessageQueue.QueueId)
			}
			queueOf[key] = r.MessageQueue.QueueId
		}
	}
	got := pullAll(t, topic, orders*steps)
	if len(got) != orders*steps {
		t.Fatalf("pulled %d of %d", len(got), orders*steps)
	}
	sort.SliceStable(got, func(i, j int) bool { return got[i].QueueOffset < got[j].QueueOffset })
	last := map[string]int{}
	for _, e := range got {
		var key string
		var step int
		if _, err := fmt.Sscanf(strings.Replace(string(e.Body), ":", " ", 1), "%s %d", &key, &step); err != nil {
			t.Fatal(err)
		}
		if e.Queue.QueueId != queueOf[key] {
			t.Errorf("%s step %d in queue %d, not %d", key, step, e.Queue.QueueId, queueOf[key])
		}
		if prev, ok := last[key]; ok && step != prev+1 {
			t.Errorf("%s: step %d after %d", key, step, prev)
		}
		last[key] = step
	}
}

func TestPushConsumerTagsAndRetry(t *testing.T) {
	topic := createTopic(t, "GoPush", 2)
	p := newProducer(t)
	ctx := context.Background()
	for i := 0; i < 12; i++ {
		tag := []string{"a", "b", "c"}[i%3]
		if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(fmt.Sprintf("%s-%d", tag, i))).WithTag(tag)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	deliveries := map[string][]int32{}
	// The Go consumer looks up %RETRY%<group> before its first heartbeat creates it, and looks again only after
	// its 30 s route refresh; an existing retry topic (as an operator's updateSubGroup leaves) keeps the test short.
	group := unique("gopush")
	createNamedTopic(t, "%RETRY%"+group, 1)
	c, err := rocketmq.NewPushConsumer(consumer.WithNsResolver(resolver()), consumer.WithGroupName(group),
		consumer.WithInstance(unique("gopushc")), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithMaxReconsumeTimes(3))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "a || b"},
		func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			retry := false
			for _, m := range msgs {
				deliveries[string(m.Body)] = append(deliveries[string(m.Body)], m.ReconsumeTimes)
				// "a-0" fails once: it must come back through %RETRY%group with reconsumeTimes 1
				retry = retry || (string(m.Body) == "a-0" && m.ReconsumeTimes == 0)
			}
			if retry {
				if cc, ok := primitive.GetConcurrentlyCtx(ctx); ok {
					cc.DelayLevelWhenNextConsume = 1 // 1 s
				}
				return consumer.ConsumeRetryLater, nil
			}
			return consumer.ConsumeSuccess, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n, retried := len(deliveries), len(deliveries["a-0"]) >= 2
		mu.Unlock()
		if n >= 8 && retried {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	mu.Lock()
	defer mu.Unlock()
	for i := 0; i < 12; i++ {
		tag := []string{"a", "b", "c"}[i%3]
		body := fmt.Sprintf("%s-%d", tag, i)
		got := deliveries[body]
		switch {
		case tag == "c" && len(got) != 0:
			t.Errorf("%s delivered although the expression is a || b", body)
		case body == "a-0" && fmt.Sprint(got) != "[0 1]":
			t.Errorf("a-0 deliveries (reconsumeTimes) %v, want [0 1]", got)
		case tag != "c" && body != "a-0" && len(got) == 0:
			t.Errorf("%s never delivered", body)
		}
	}
}

func TestOrderlyPushConsumer(t *testing.T) {
	topic := createTopic(t, "GoOrderly", 2)
	p := newProducer(t, producer.WithQueueSelector(producer.NewHashQueueSelector()))
	ctx := context.Background()
	const orders, steps = 4, 10
	for s := 0; s < steps; s++ {
		for o := 0; o < orders; o++ {
			key := fmt.Sprintf("o%d", o)
			if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(fmt.Sprintf("%s %d", key, s))).WithShardingKey(key)); err != nil {
				t.Fatal(err)
			}
		}
	}
	var mu sync.Mutex
	seen := map[string][]int{}
	total := 0
	c, err := rocketmq.NewPushConsumer(consumer.WithNsResolver(resolver()), consumer.WithGroupName(unique("goorderly")),
		consumer.WithInstance(unique("goorderlyc")), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumerOrder(true)) // per-queue locks on the broker (LOCK_BATCH_MQ)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Subscribe(topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			var key string
			var step int
			fmt.Sscanf(string(m.Body), "%s %d", &key, &step)
			seen[key] = append(seen[key], step)
			total++
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		n := total
		mu.Unlock()
		if n >= orders*steps {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	for o := 0; o < orders; o++ {
		key := fmt.Sprintf("o%d", o)
		got := seen[key]
		if len(got) != steps {
			t.Errorf("%s: %v", key, got)
			continue
		}
		for i, s := range got {
			if s != i {
				t.Errorf("%s out of order: %v", key, got)
				break
			}
		}
	}
}

func TestPullConsumerPollAndAck(t *testing.T) {
	topic := createTopic(t, "GoPoll", 2)
	p := newProducer(t)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		if _, err := p.SendSync(ctx, primitive.NewMessage(topic, []byte(fmt.Sprintf("poll-%d", i)))); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := rocketmq.NewPullConsumer(consumer.WithNsResolver(resolver()), consumer.WithGroupName(unique("gopoll")),
		consumer.WithInstance(unique("gopollc")), consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset))
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{}); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	defer pc.Shutdown()
	got := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < 6 && time.Now().Before(deadline) {
		cr, err := pc.Poll(ctx, 2*time.Second)
		if consumer.IsNoNewMsgError(err) {
			continue
		}
		if err != nil {
			t.Fatal("poll:", err)
		}
		for _, m := range cr.GetMsgList() {
			got[string(m.Body)] = true
		}
		pc.ACK(ctx, cr, consumer.ConsumeSuccess)
	}
	if len(got) != 6 {
		t.Fatalf("polled %d of 6: %v", len(got), got)
	}
}
