// Command example is an example pipeline: example HOST:PORT TOPIC GROUP < lines.txt
//
// Stage 1 sends every stdin line as a message (batches of 100, tagged "line"). Stage 2 consumes the topic in
// at-least-once mode: it processes each message (here: counts bytes) and acks it with the next get, so a crash before
// the ack means the message is delivered again after InvisibleMs.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"mqgateway"
	"mqgateway/api"
)

func main() {
	host, portStr, err := net.SplitHostPort(os.Args[1])
	if err != nil {
		panic(err)
	}
	port, _ := strconv.Atoi(portStr)
	topic, group := os.Args[2], os.Args[3]
	ctx := context.Background()
	c, err := mqgateway.Connect(host, port, 30*time.Second)
	if err != nil {
		panic(err)
	}
	defer c.Close()

	var batch []*api.Message
	flush := func() {
		if len(batch) > 0 {
			if _, err := c.Send(ctx, batch...); err != nil {
				panic(err)
			}
			batch = nil
		}
	}
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		m := mqgateway.NewMessage(topic, append([]byte(nil), in.Bytes()...))
		m.Tags = mqgateway.Str("line")
		if batch = append(batch, m); len(batch) == 100 {
			flush()
		}
	}
	flush()

	total := 0
	var receipts []string
	for {
		msgs, err := c.Get(ctx, topic, group, mqgateway.GetOptions{MaxMessages: 64, WaitMs: 3000, InvisibleMs: 30000, TagExpression: "line", Ack: receipts})
		var gerr *api.GatewayError
		if errors.As(err, &gerr) && gerr.Retryable {
			continue
		} else if err != nil {
			panic(err)
		}
		receipts = nil
		for _, m := range msgs {
			receipts = append(receipts, m.GetReceipt())
			total += len(m.Body) // the "processing" step
		}
		if len(msgs) == 0 {
			break // nothing new for 3 s: done
		}
	}
	if _, err := c.Ack(ctx, topic, group, receipts); err != nil {
		panic(err)
	}
	fmt.Printf("consumed %d bytes\n", total)
}
