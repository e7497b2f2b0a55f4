// Command enrich is stage 2 of the example pipeline: it consumes <prefix>Texts (tag "text"), and for each text sends
// a 1-2 KiB JSON article to <prefix>Articles (tag "article") and a 1-5 MB image to <prefix>Images (tag "raw"). A text
// is acked only after both were stored (at-least-once); SIGINT/SIGTERM stop it gracefully.
package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"mqgateway"
	"mqgateway/internal/pipeline"
)

func main() {
	f := pipeline.Parse()
	s := pipeline.NewStage(f)
	defer s.Close()
	ctx, cancel, p, cons := s.Ctx, s.Cancel, s.Producer, s.Consumer
	var done int64
	stats, err := cons.Consume(ctx, f.Texts(), f.Prefix+"_enrich", func(ctx context.Context, m *mqgateway.ReceivedMessage) error {
		text := string(m.Body)
		res, err := p.SendBatch(ctx, []*mqgateway.Message{
			{Topic: f.Articles(), Body: pipeline.Article(text), Tags: "article", Keys: []string{m.MsgID}},
			{Topic: f.Images(), Body: pipeline.Image(text), Tags: "raw", Keys: []string{m.MsgID}},
		})
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil {
				return r.Err // not acked: the text comes back and both are sent again
			}
		}
		if n := atomic.AddInt64(&done, 1); f.Count > 0 && n >= int64(f.Count) {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{TagExpression: "text", MaxMessages: 8, InvisibleMs: 60000})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("enrich: handled %d texts (failed %d)\n", stats.Handled, stats.Failed)
}
