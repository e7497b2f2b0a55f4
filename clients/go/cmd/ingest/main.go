// Command ingest is stage 1 of the example pipeline: every stdin line becomes a message of <prefix>Texts, tag
// "text", sent in batches of up to 100 with the Producer (retries, failover).
//
//	ingest -gateways 127.0.0.1:9090 < lines.txt
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"

	"mqgateway"
	"mqgateway/internal/pipeline"
)

func main() {
	f := pipeline.Parse()
	p, err := mqgateway.NewProducer(f.Addrs())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer p.Close()
	ctx := context.Background()
	var batch []*mqgateway.Message
	sent := 0
	flush := func() {
		if len(batch) == 0 {
			return
		}
		res, err := p.SendBatch(ctx, batch)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		for _, r := range res {
			if r.Err != nil {
				fmt.Fprintln(os.Stderr, r.Err)
				os.Exit(1)
			}
		}
		sent += len(batch)
		batch = batch[:0]
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			batch = append(batch, &mqgateway.Message{Topic: f.Texts(), Body: []byte(line), Tags: "text"})
		}
		if len(batch) == 100 {
			flush()
		}
	}
	flush()
	fmt.Printf("ingest: sent %d texts to %s\n", sent, f.Texts())
}
