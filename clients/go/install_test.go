package mqgateway_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A user's program in its own module, depending on this one through a replace directive, builds and runs.
func TestInstallAsModuleWithReplace(t *testing.T) {
	here, _ := filepath.Abs(".")
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(here, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod": "module example.com/pipeline\n\ngo 1.19\n\nrequire mqgateway v0.0.0\n\nrequire github.com/apache/thrift v0.17.0 // indirect\n\nreplace mqgateway => " + here + "\n",
		"go.sum": string(sum),
		"main.go": `package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"mqgateway"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := mqgateway.Dial(ctx, os.Args[1])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	defer c.Close()
	r, err := c.Send(ctx, &mqgateway.Message{Topic: os.Args[2], Body: []byte("from a user module")})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("sent", len(r.MsgID))
}
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "run", ".", devAddr, unique("GoUserModule"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "sent 32") {
		t.Fatalf("%v\n%s", err, out)
	}
}
