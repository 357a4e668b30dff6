package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// repeat is an endless stream of one byte.
type repeat byte

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// A line far longer than the bound is answered with a parse error and
// skipped without being kept in memory; the next line is read as usual.
func TestLineTransportBoundsALine(t *testing.T) {
	const huge = 256 << 20
	in := io.MultiReader(strings.NewReader(`"`), io.LimitReader(repeat('x'), huge), strings.NewReader("\"\n"+`{"jsonrpc":"2.0","id":7,"method":"ping"}`+"\n"))
	var out bytes.Buffer
	conn, err := (&LineTransport{In: in, Out: &out, MaxLine: 1 << 20}).Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	msg, err := conn.Read(context.Background())
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if req, ok := msg.(*jsonrpc.Request); !ok || req.Method != "ping" {
		t.Fatalf("after the long line read %#v", msg)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
		t.Errorf("a %d-byte line allocated %d bytes", huge, n)
	}
	var reply struct {
		ID    any            `json:"id"`
		Error *jsonrpc.Error `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &reply); err != nil || reply.ID != nil || reply.Error == nil ||
		reply.Error.Code != jsonrpc.CodeParseError || !strings.Contains(reply.Error.Message, "longer than 1048576 bytes") {
		t.Fatalf("reply to the long line: %s", out.Bytes())
	}
}

// FuzzLineTransport: whatever the input, every line that is not blank gets
// exactly one outcome, a message passed on or an error reply (valid JSON
// with a JSON-RPC error code), and the input's end is reported.
func FuzzLineTransport(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}` + "\nnot json\n" + `{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]` + "\n\n" + `{"jsonrpc":"1.0","id":"a","method":"ping"}`,
		`{"jsonrpc":"2.0","id":2,"result":{}}` + "\r\n" + `{"id":{"x":1}}` + "\n" + strings.Repeat("y", 100),
		"\n \t\n{\n}\n",
	} {
		f.Add([]byte(s))
	}
	const max = 64
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		conn, err := (&LineTransport{In: bytes.NewReader(data), Out: &out, MaxLine: max}).Connect(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		ctx := context.Background()
		passed := 0
		for {
			msg, err := conn.Read(ctx)
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("read: %v", err)
			}
			passed++
			if req, ok := msg.(*jsonrpc.Request); ok && req.IsCall() {
				// Answer it, or the end of the input waits for the answer.
				if err := conn.Write(ctx, &jsonrpc.Response{ID: req.ID, Result: json.RawMessage("{}")}); err != nil {
					t.Fatal(err)
				}
			}
		}
		errs := 0
		sc := bufio.NewScanner(&out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var reply struct {
				Error *jsonrpc.Error `json:"error"`
			}
			if err := json.Unmarshal(sc.Bytes(), &reply); err != nil {
				t.Fatalf("reply %q: %v", sc.Bytes(), err)
			}
			if reply.Error == nil {
				continue // an answer written above
			}
			if c := reply.Error.Code; c != jsonrpc.CodeParseError && c != jsonrpc.CodeInvalidRequest {
				t.Fatalf("reply %q: code %d", sc.Bytes(), c)
			}
			errs++
		}
		lines := 0
		for l := range bytes.Lines(data) {
			if len(l) > max || len(bytes.TrimSpace(l)) > 0 {
				lines++
			}
		}
		if passed+errs != lines {
			t.Fatalf("%d lines, %d passed on and %d answered with an error; input %q, output %s", lines, passed, errs, data, out.Bytes())
		}
	})
}
