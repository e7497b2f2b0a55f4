// Command resize is stage 3 of the example pipeline: it consumes <prefix>Images with tag "raw", halves each image
// and sends the result to the same topic with tag "thumb". At-least-once; SIGINT/SIGTERM stop it gracefully.
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
	var done, in, out int64
	stats, err := cons.Consume(ctx, f.Images(), f.Prefix+"_resize", func(ctx context.Context, m *mqgateway.ReceivedMessage) error {
		thumb, err := pipeline.Resize(m.Body)
		if err != nil {
			return err
		}
		if _, err := p.Send(ctx, &mqgateway.Message{Topic: f.Images(), Body: thumb, Tags: "thumb", Keys: m.Keys}); err != nil {
			return err
		}
		atomic.AddInt64(&in, int64(len(m.Body)))
		atomic.AddInt64(&out, int64(len(thumb)))
		if n := atomic.AddInt64(&done, 1); f.Count > 0 && n >= int64(f.Count) {
			cancel()
		}
		return nil
	}, mqgateway.ConsumeOptions{TagExpression: "raw", MaxMessages: 4, InvisibleMs: 60000, Concurrency: 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("resize: %d images, %d bytes in, %d bytes out\n", stats.Handled, in, out)
}
