package mqgateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"mqgateway"
)

// The example pipeline, one process per stage, end to end: texts -> articles + images -> thumbnails.
func TestPipelineIngestEnrichResize(t *testing.T) {
	bin := t.TempDir()
	for _, name := range []string{"ingest", "enrich", "resize"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(bin, name), "./cmd/"+name).CombinedOutput()
		if err != nil {
			t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, out)
		}
	}
	prefix := unique("GoPipe")
	stage := func(name, stdin string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), append([]string{"-gateways", devAddr, "-prefix", prefix}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		return string(out)
	}
	texts := []string{"first text", "second, longer text here", "third"}
	if out := stage("ingest", strings.Join(texts, "\n")+"\n"); !strings.Contains(out, "sent 3") {
		t.Fatalf("ingest printed %q", out)
	}
	if out := stage("enrich", "", "-count", "3"); !strings.Contains(out, "handled 3 texts") {
		t.Fatalf("enrich printed %q", out)
	}
	if out := stage("resize", "", "-count", "3"); !strings.Contains(out, "resize: 3 images") {
		t.Fatalf("resize printed %q", out)
	}

	c := dial(t, devAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	articles := map[string][]byte{}
	thumbs := map[string][]byte{}
	for (len(articles) < 3 || len(thumbs) < 3) && ctx.Err() == nil {
		for _, q := range []struct {
			topic, tag string
			into       map[string][]byte
		}{{prefix + "Articles", "article", articles}, {prefix + "Images", "thumb", thumbs}} {
			res, err := c.Get(ctx, q.topic, "check", mqgateway.GetOptions{TagExpression: q.tag, WaitMs: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range res.Messages {
				q.into[m.Keys[0]] = m.Body
			}
		}
	}
	var got []string
	for _, b := range articles {
		var a struct{ Text string }
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatalf("article is not JSON: %v", err)
		}
		if len(b) < 1024 || len(b) > 2048 {
			t.Errorf("article of %d bytes, want 1-2 KiB", len(b))
		}
		got = append(got, a.Text)
	}
	sort.Strings(got)
	if strings.Join(got, "|") != strings.Join(texts, "|") {
		t.Fatalf("articles carry %q, want %q", got, texts)
	}
	if len(thumbs) != 3 {
		t.Fatalf("%d thumbnails, want 3", len(thumbs))
	}
	for _, b := range thumbs {
		if !bytes.HasPrefix(b, []byte("P5\n512 ")) {
			t.Fatalf("thumbnail does not start with a 512-wide PGM header: %.16q", b)
		}
	}
}
