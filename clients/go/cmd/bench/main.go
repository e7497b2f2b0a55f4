// Command bench is the Go driver of bench/clients: bench ADDR TOPIC SIZE BATCH SECONDS -> one JSON line.
//
// It sends SIZE-byte bodies in batches of BATCH with the Producer for SECONDS, then consumes all of them with the
// consumer loop (ConsumeBatch, at-least-once, acks with the next get).
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"mqgateway"
)

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: bench ADDR TOPIC SIZE BATCH SECONDS")
		os.Exit(2)
	}
	addr, topic := os.Args[1], os.Args[2]
	size, _ := strconv.Atoi(os.Args[3])
	batch, _ := strconv.Atoi(os.Args[4])
	secs, _ := strconv.ParseFloat(os.Args[5], 64)
	dur := time.Duration(secs * float64(time.Second))
	body := make([]byte, size)
	_, _ = rand.Read(body)
	msgs := make([]*mqgateway.Message, batch)
	for i := range msgs {
		msgs[i] = &mqgateway.Message{Topic: topic, Body: body}
	}
	p, _ := mqgateway.NewProducer([]string{addr})
	ctx := context.Background()
	sent := 0
	start := time.Now()
	for time.Since(start) < dur {
		res, err := p.SendBatch(ctx, msgs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, r := range res {
			if r.Err == nil {
				sent++
			}
		}
	}
	sendS := time.Since(start).Seconds()
	p.Close()
	c, _ := mqgateway.NewConsumer([]string{addr})
	cctx, cancel := context.WithTimeout(ctx, 10*dur)
	defer cancel()
	var got int64
	max := 16 * 1024 * 1024 / size / 2
	if max > 1024 {
		max = 1024
	}
	if max < 1 {
		max = 1
	}
	start = time.Now()
	_, err := c.ConsumeBatch(cctx, topic, "bench", func(_ context.Context, ms []*mqgateway.ReceivedMessage) error {
		if atomic.AddInt64(&got, int64(len(ms))) >= int64(sent) {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{MaxMessages: int32(max), WaitMs: 1000, InvisibleMs: 60000, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, _ := json.Marshal(map[string]interface{}{"sent": sent, "sendSeconds": sendS, "consumed": got, "consumeSeconds": time.Since(start).Seconds()})
	fmt.Println(string(out))
}
