package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxLine is the longest line (one JSON-RPC message) Serve reads; a longer
// one is answered with a parse error and skipped without being kept.
const MaxLine = 16 << 20

// Serve runs the server on newline-delimited JSON-RPC over in and out
// until in ends (or ctx does).
func Serve(ctx context.Context, s *mcp.Server, in io.Reader, out io.Writer) error {
	return s.Run(ctx, &LineTransport{In: in, Out: out})
}

// LineTransport is an mcp.Transport over newline-delimited JSON, like the
// SDK's stdio transport, except that it answers a line it cannot use (not
// JSON, not a JSON-RPC message, too long) with a JSON-RPC error and reads
// on, where the SDK's ends the session; and that at the end of its input it
// waits for the answers to the requests already read instead of dropping
// them, so a client that writes its requests and closes stdin gets them all.
type LineTransport struct {
	In  io.Reader
	Out io.Writer
	// MaxLine bounds a line in bytes (0: MaxLine).
	MaxLine int
}

// Connect implements mcp.Transport.
func (t *LineTransport) Connect(context.Context) (mcp.Connection, error) {
	max := t.MaxLine
	if max <= 0 {
		max = MaxLine
	}
	c := &lineConn{out: t.Out, max: max, lines: make(chan line), closed: make(chan struct{}), pending: map[jsonrpc.ID]struct{}{}}
	lr := &lineReader{r: bufio.NewReaderSize(t.In, 64<<10), max: max}
	// Read in a goroutine so that Close unblocks a Read waiting on input.
	go func() {
		for {
			l := lr.next()
			select {
			case c.lines <- l:
			case <-c.closed:
				return
			}
			if l.err != nil {
				return
			}
		}
	}()
	return c, nil
}

// line is one line of input: its bytes, or that it was longer than the
// bound, or the error that ended the input.
type line struct {
	data    []byte
	tooLong bool
	err     error
}

// lineReader splits input into lines of at most max bytes; of a longer line
// it keeps nothing, so memory stays bounded whatever the input.
type lineReader struct {
	r   *bufio.Reader
	max int
}

func (lr *lineReader) next() line {
	var l line
	for {
		frag, err := lr.r.ReadSlice('\n')
		if !l.tooLong {
			if len(l.data)+len(frag) > lr.max {
				l.tooLong, l.data = true, nil
			} else {
				l.data = append(l.data, frag...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && (len(l.data) > 0 || l.tooLong):
			return l // a last line without its newline
		case err != nil:
			return line{err: err}
		}
		return l
	}
}

type lineConn struct {
	out     io.Writer
	max     int
	writeMu sync.Mutex

	lines     chan line
	readErr   error // the error that ended the input, once read
	closed    chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	pending map[jsonrpc.ID]struct{} // requests read and not yet answered
	drained chan struct{}           // closed when pending empties, while Read waits for that
}

// Read returns the next usable message. A line it cannot use is answered
// here; at the end of the input it returns the end only once every request
// read has been answered.
func (c *lineConn) Read(ctx context.Context) (jsonrpc.Message, error) {
	for c.readErr == nil {
		var l line
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closed:
			return nil, io.EOF
		case l = <-c.lines:
		}
		if l.err != nil {
			c.readErr = l.err
			break
		}
		msg, id, rerr := decodeLine(l, c.max)
		if rerr != nil {
			if err := c.writeError(ctx, id, rerr); err != nil {
				return nil, err
			}
			continue
		}
		if msg == nil {
			continue // a blank line
		}
		if req, ok := msg.(*jsonrpc.Request); ok && req.IsCall() {
			c.mu.Lock()
			c.pending[req.ID] = struct{}{}
			c.mu.Unlock()
		}
		return msg, nil
	}
	c.waitAnswered(ctx)
	return nil, c.readErr
}

// waitAnswered returns when every request read has been answered, or the
// connection is closed, or ctx ends.
func (c *lineConn) waitAnswered(ctx context.Context) {
	for {
		c.mu.Lock()
		if len(c.pending) == 0 {
			c.mu.Unlock()
			return
		}
		ch := make(chan struct{})
		c.drained = ch
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return
		case <-c.closed:
			return
		}
	}
}

// decodeLine reads one line as a JSON-RPC message: nil for a blank line, or
// the error to answer with and the request's id when the line has one.
func decodeLine(l line, max int) (jsonrpc.Message, jsonrpc.ID, *jsonrpc.Error) {
	var none jsonrpc.ID
	if l.tooLong {
		return nil, none, &jsonrpc.Error{Code: jsonrpc.CodeParseError, Message: fmt.Sprintf("parse error: the line is longer than %d bytes", max)}
	}
	data := bytes.TrimSpace(l.data)
	if len(data) == 0 {
		return nil, none, nil
	}
	if !json.Valid(data) {
		return nil, none, &jsonrpc.Error{Code: jsonrpc.CodeParseError, Message: "parse error: the line is not JSON"}
	}
	if data[0] == '[' {
		return nil, none, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "invalid request: batches are not supported; send one message a line"}
	}
	msg, err := jsonrpc.DecodeMessage(data)
	if err != nil {
		// Answer a request that has a usable id under that id.
		var withID struct {
			ID any `json:"id"`
		}
		id := none
		if json.Unmarshal(data, &withID) == nil {
			if v, err := jsonrpc.MakeID(withID.ID); err == nil {
				id = v
			}
		}
		return nil, id, &jsonrpc.Error{Code: jsonrpc.CodeInvalidRequest, Message: "invalid request: " + err.Error()}
	}
	return msg, none, nil
}

// writeError answers a line with a JSON-RPC error (id null when the line
// had none).
func (c *lineConn) writeError(ctx context.Context, id jsonrpc.ID, e *jsonrpc.Error) error {
	data, err := json.Marshal(struct {
		JSONRPC string         `json:"jsonrpc"`
		ID      any            `json:"id"`
		Error   *jsonrpc.Error `json:"error"`
	}{"2.0", id.Raw(), e})
	if err != nil {
		return fmt.Errorf("encoding an error reply: %w", err)
	}
	return c.writeLine(ctx, data)
}

// Write implements mcp.Connection; a response marks its request answered.
func (c *lineConn) Write(ctx context.Context, msg jsonrpc.Message) error {
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return fmt.Errorf("encoding a message: %w", err)
	}
	if err := c.writeLine(ctx, data); err != nil {
		return err
	}
	if resp, ok := msg.(*jsonrpc.Response); ok {
		c.mu.Lock()
		delete(c.pending, resp.ID)
		if len(c.pending) == 0 && c.drained != nil {
			close(c.drained)
			c.drained = nil
		}
		c.mu.Unlock()
	}
	return nil
}

func (c *lineConn) writeLine(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-c.closed:
		return mcp.ErrConnectionClosed
	default:
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.out.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("writing a message: %w", err)
	}
	return nil
}

// Close implements mcp.Connection. The input is not closed: standard input
// belongs to the process, and the reading goroutine ends with it.
func (c *lineConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return nil
}

// SessionID implements mcp.Connection: a stream has no session id.
func (c *lineConn) SessionID() string { return "" }
