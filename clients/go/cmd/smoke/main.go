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
	"os"
	"reflect"
	"strconv"
	"time"

	"mqgateway"
)

func build(topic, run string) []*mqgateway.Message {
	big := make([]byte, 5*1024*1024)
	for i := range big {
		big[i] = byte((i%256)*131 + 7)
	}
	small := make([]byte, 256)
	for i := range small {
		small[i] = byte(i)
	}
	bodies := [][]byte{[]byte("hello from go"), small, []byte("unicode \u00fc\u2713"), big}
	out := make([]*mqgateway.Message, len(bodies))
	for i, body := range bodies {
		tag := "A"
		if i%2 == 1 {
			tag = "B"
		}
		m := &mqgateway.Message{Topic: topic, Body: body, Tags: tag}
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
	topic, group := os.Args[2], os.Args[3]
	run := fmt.Sprintf("go%d", os.Getpid())
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	c, err := mqgateway.Dial(ctx, os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	defer c.Close()
	sent := build(topic, run)
	results, err := c.SendBatch(ctx, sent)
	if err != nil {
		fail("send failed: %v", err)
	}
	if len(results) != len(sent) {
		fail("send returned %d results for %d messages", len(results), len(sent))
	}
	for i, r := range results {
		if r.Err != nil {
			fail("send failed for message %d: %v", i, r.Err)
		}
	}

	got := map[int]*mqgateway.ReceivedMessage{}
	// Receipts of one get are acked with the next one (and the last ones with Ack).
	var receipts []string
	until := time.Now().Add(60 * time.Second)
	for len(got) < len(sent) && time.Now().Before(until) {
		batch, err := c.Get(ctx, topic, group, mqgateway.GetOptions{MaxMessages: 32, WaitMs: 2000, InvisibleMs: 60000, Ack: receipts})
		if err != nil {
			fail("get failed: %v", err)
		}
		receipts = nil
		for _, m := range batch.Messages {
			if m.Receipt != "" {
				receipts = append(receipts, m.Receipt)
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
		if m.Tags != want.Tags {
			problems = append(problems, fmt.Sprintf("message %d: tags %q != %q", i, m.Tags, want.Tags))
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
