// Command smoke is the cross-language smoke test: smoke HOST:PORT TOPIC GROUP
//
// It sends a batch with tags, keys and properties (one body of 5 MiB), gets it back with long polls in at-least-once
// mode, acks it, and checks that every message came back byte-identical. It prints "SMOKE OK <n>" and exits 0, or
// prints what differed and exits 1.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"reflect"
	"strconv"
	"time"

	"mqgateway"
	"mqgateway/api"
)

func build(topic, run string) []*api.Message {
	big := make([]byte, 5*1024*1024)
	for i := range big {
		big[i] = byte((i%256)*131 + 7)
	}
	small := make([]byte, 256)
	for i := range small {
		small[i] = byte(i)
	}
	bodies := [][]byte{[]byte("hello from go"), small, []byte("unicode \u00fc\u2713"), big}
	out := make([]*api.Message, len(bodies))
	for i, body := range bodies {
		tag := "A"
		if i%2 == 1 {
			tag = "B"
		}
		m := mqgateway.NewMessage(topic, body)
		m.Tags = mqgateway.Str(tag)
		m.Keys = []string{fmt.Sprintf("%s-%d", run, i), fmt.Sprintf("order-%d", i)}
		m.Properties = map[string]string{"run": run, "idx": strconv.Itoa(i), "lang": "go", "text": "caf\u00e9 \u2603"}
		out[i] = m
	}
	return out
}

func fail(format string, args ...interface{}) {
	fmt.Printf(format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: smoke HOST:PORT TOPIC GROUP")
		os.Exit(2)
	}
	host, portStr, err := net.SplitHostPort(os.Args[1])
	if err != nil {
		fail("bad address %q: %v", os.Args[1], err)
	}
	port, _ := strconv.Atoi(portStr)
	topic, group := os.Args[2], os.Args[3]
	run := fmt.Sprintf("go%d", os.Getpid())
	ctx := context.Background()

	c, err := mqgateway.Connect(host, port, 30*time.Second)
	if err != nil {
		fail("%v", err)
	}
	defer c.Close()
	sent := build(topic, run)
	results, err := c.Send(ctx, sent...)
	if err != nil {
		fail("send failed: %v", err)
	}
	if len(results) != len(sent) {
		fail("send returned %d results for %d messages", len(results), len(sent))
	}
	for i, r := range results {
		if r.Error != nil {
			fail("send failed for message %d: %s", i, r.Error.Message)
		}
	}

	got := map[int]*api.ReceivedMessage{}
	// Receipts of one get are acked with the next one (and the last ones with Ack).
	var receipts []string
	until := time.Now().Add(60 * time.Second)
	for len(got) < len(sent) && time.Now().Before(until) {
		batch, err := c.Get(ctx, topic, group, mqgateway.GetOptions{MaxMessages: 32, WaitMs: 2000, InvisibleMs: 60000, Ack: receipts})
		if err != nil {
			fail("get failed: %v", err)
		}
		receipts = nil
		for _, m := range batch {
			if m.Receipt != nil {
				receipts = append(receipts, *m.Receipt)
			}
			if m.Properties["run"] == run {
				idx, _ := strconv.Atoi(m.Properties["idx"])
				got[idx] = m
			}
		}
	}
	if _, err := c.Ack(ctx, topic, group, receipts); err != nil {
		fail("ack failed: %v", err)
	}

	var problems []string
	for i, want := range sent {
		m, ok := got[i]
		if !ok {
			problems = append(problems, fmt.Sprintf("message %d never arrived", i))
			continue
		}
		if !bytes.Equal(m.Body, want.Body) {
			problems = append(problems, fmt.Sprintf("message %d: body differs (%d bytes sent, %d received)", i, len(want.Body), len(m.Body)))
		}
		if m.Tags == nil || *m.Tags != *want.Tags {
			problems = append(problems, fmt.Sprintf("message %d: tags %v != %q", i, m.Tags, *want.Tags))
		}
		if !reflect.DeepEqual(m.Keys, want.Keys) {
			problems = append(problems, fmt.Sprintf("message %d: keys %q != %q", i, m.Keys, want.Keys))
		}
		if !reflect.DeepEqual(m.Properties, want.Properties) {
			problems = append(problems, fmt.Sprintf("message %d: properties %q != %q", i, m.Properties, want.Properties))
		}
	}
	if len(problems) > 0 {
		fmt.Println("SMOKE FAILED")
		for _, p := range problems {
			fmt.Println("  " + p)
		}
		os.Exit(1)
	}
	fmt.Printf("SMOKE OK %d\n", len(sent))
}
