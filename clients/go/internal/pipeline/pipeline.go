// Package pipeline holds what the example stages (cmd/ingest, cmd/enrich, cmd/resize) share: topic names, the
// article builder and the image (binary PGM) generator and resizer. The Python and PHP examples do the same.
package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// Flags common to every stage.
type Flags struct {
	Gateways string
	Prefix   string
	Count    int
}

// Parse reads -gateways, -prefix and -count.
func Parse() Flags {
	var f Flags
	flag.StringVar(&f.Gateways, "gateways", "127.0.0.1:9090", "gateway addresses, comma-separated (failover in order)")
	flag.StringVar(&f.Prefix, "prefix", "Pipeline", "prefix of the topic names (<prefix>Texts, <prefix>Articles, <prefix>Images)")
	flag.IntVar(&f.Count, "count", 0, "stop after handling this many messages (0 = until SIGINT/SIGTERM)")
	flag.Parse()
	return f
}

// Addrs splits -gateways.
func (f Flags) Addrs() []string { return strings.Split(f.Gateways, ",") }

// Topic names: texts (tag "text") -> articles (tag "article") and images (tag "raw") -> images (tag "thumb").
func (f Flags) Texts() string    { return f.Prefix + "Texts" }
func (f Flags) Articles() string { return f.Prefix + "Articles" }
func (f Flags) Images() string   { return f.Prefix + "Images" }

// Article enriches a short text into a 1-2 KiB JSON article.
func Article(text string) []byte {
	words := strings.Fields(text)
	sum := sha256.Sum256([]byte(text))
	a := map[string]interface{}{
		"id":      fmt.Sprintf("%x", sum[:8]),
		"title":   strings.ToUpper(text[:min(len(text), 40)]),
		"text":    text,
		"words":   len(words),
		"chars":   len(text),
		"summary": strings.Repeat(text+" ", max(1, 1200/(len(text)+1))),
	}
	b, _ := json.Marshal(a)
	return b
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func max(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// Image renders a greyscale binary PGM of 1-5 MB whose size and pattern depend on text.
func Image(text string) []byte {
	sum := sha256.Sum256([]byte(text))
	w := 1024
	h := 1024 + int(sum[0])*12 // 1 MiB .. about 4 MiB of pixels
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "P5\n%d %d\n255\n", w, h)
	row := make([]byte, w)
	for y := 0; y < h; y++ {
		for x := range row {
			row[x] = byte((x*int(sum[1]+1) + y*int(sum[2]+1)) >> 3)
		}
		buf.Write(row)
	}
	return buf.Bytes()
}

// Resize halves a binary PGM in both directions (nearest neighbour).
func Resize(pgm []byte) ([]byte, error) {
	var w, h, max int
	n, err := fmt.Sscanf(string(pgm[:min(len(pgm), 64)]), "P5\n%d %d\n%d\n", &w, &h, &max)
	if err != nil || n != 3 || max != 255 {
		return nil, errors.New("not a binary 8-bit PGM")
	}
	head := len(fmt.Sprintf("P5\n%d %d\n255\n", w, h))
	if len(pgm) != head+w*h {
		return nil, fmt.Errorf("PGM of %dx%d has %d pixel bytes", w, h, len(pgm)-head)
	}
	nw, nh := w/2, h/2
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "P5\n%d %d\n255\n", nw, nh)
	row := make([]byte, nw)
	for y := 0; y < nh; y++ {
		src := pgm[head+2*y*w:]
		for x := range row {
			row[x] = src[2*x]
		}
		buf.Write(row)
	}
	return buf.Bytes(), nil
}
