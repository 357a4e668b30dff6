package api_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hoardvault/hoard/backend/api"
	"github.com/hoardvault/hoard/backend/vault"
	"github.com/hoardvault/hoard/models"
)

// conns counts the server's sockets (as the listener under the limit hands
// them out and they are closed) and tells which connections the server
// has finished with.
type conns struct {
	net.Listener
	mu     sync.Mutex
	open   int
	peak   int
	closed chan net.Conn
}

type countedConn struct {
	net.Conn
	c    *conns
	once sync.Once
}

func (c *conns) Accept() (net.Conn, error) {
	conn, err := c.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.open++
	c.peak = max(c.peak, c.open)
	c.mu.Unlock()
	return &countedConn{Conn: conn, c: c}, nil
}

func (cc *countedConn) Close() error {
	cc.once.Do(func() {
		cc.c.mu.Lock()
		cc.c.open--
		cc.c.mu.Unlock()
	})
	return cc.Conn.Close()
}

func (c *conns) track(conn net.Conn, st http.ConnState) {
	if st == http.StateClosed || st == http.StateHijacked {
		select {
		case c.closed <- conn:
		default:
		}
	}
}

// limitedServer serves the API as `hoard serve` does (its http.Server and
// listener), with the limits given.
func limitedServer(t *testing.T, lim api.Limits) (*httptest.Server, *vault.Vault, *conns) {
	t.Helper()
	v, err := vault.Open(context.Background(), t.TempDir(), vault.Options{Neural: vault.NeuralOptions{Models: models.NewManager(t.TempDir())}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	a := api.New(v, api.Options{Token: token, Limits: lim})
	ts := httptest.NewUnstartedServer(nil)
	ts.Config = a.HTTPServer()
	c := &conns{Listener: ts.Listener, closed: make(chan net.Conn, 1024)}
	ts.Listener = a.Listener(c)
	serverState := ts.Config.ConnState
	ts.Config.ConnState = func(conn net.Conn, st http.ConnState) {
		serverState(conn, st)
		c.track(conn, st)
	}
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, v, c
}

func dial(t *testing.T, ts *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer waits up to d for the server to close c (a read sees the
// end rather than the deadline).
func closedByServer(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// Many connections that send nothing hold neither the server's descriptors
// nor its users: at most MaxConns are open at once, a new one takes the
// place of the oldest silent one, a user with the token is answered at
// once, a stream that is serving stays, and silent connections are closed
// when their headers do not come in time.
func TestIdleConnectionsAreBounded(t *testing.T) {
	const maxConns, idle = 8, 64
	lim := api.Limits{MaxConns: maxConns, ReadHeader: 2 * time.Second, Idle: time.Second}
	ts, _, c := limitedServer(t, lim)
	auth := func(req *http.Request, err error) *http.Request {
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
	client := &http.Client{Timeout: 10 * time.Second}
	events, err := client.Do(auth(http.NewRequest("GET", ts.URL+"/api/events", nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer events.Body.Close()
	stream := bufio.NewReader(events.Body)
	nextEvent := func() string {
		for {
			line, err := stream.ReadString('\n')
			if err != nil {
				t.Fatalf("the event stream ended: %v", err)
			}
			if strings.HasPrefix(line, "data: ") {
				return line
			}
		}
	}
	first := nextEvent()

	held := make([]net.Conn, idle)
	for i := range held {
		held[i] = dial(t, ts)
	}
	start := time.Now()
	req := auth(http.NewRequest("POST", ts.URL+"/api/memories", strings.NewReader(`{"text":"answered behind idle connections"}`)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("with %d idle connections: %v", idle, err)
	}
	resp.Body.Close()
	took := time.Since(start)
	t.Logf("answered in %v behind %d idle connections", took.Round(time.Millisecond), idle)
	if resp.StatusCode != 201 || took > lim.ReadHeader/2 {
		t.Fatalf("status %d after %v", resp.StatusCode, took)
	}
	if next := nextEvent(); next == first {
		t.Errorf("the stream sent the same status after a memory was added: %s", next)
	}
	for i, h := range held {
		if !closedByServer(h, 10*time.Second) {
			t.Fatalf("idle connection %d still open after 10 s", i)
		}
	}
	c.mu.Lock()
	peak := c.peak
	c.mu.Unlock()
	// The one being admitted is open before an idle one makes room.
	if peak > maxConns+1 {
		t.Errorf("%d connections open at once, limit %d", peak, maxConns)
	}
	// A silent connection, alone, is closed when its headers do not come
	// in time; a kept-alive one when it waits too long for its next request.
	silent := dial(t, ts)
	start = time.Now()
	if !closedByServer(silent, 5*time.Second) || time.Since(start) < lim.ReadHeader/2 {
		t.Errorf("a silent connection was closed after %v, header time %v", time.Since(start), lim.ReadHeader)
	}
	kept := dial(t, ts)
	io.WriteString(kept, "GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+token+"\r\n\r\n")
	br := bufio.NewReader(kept)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("kept-alive request: %v %v", resp, err)
	} else {
		io.Copy(io.Discard, resp.Body)
	}
	start = time.Now()
	kept.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("kept-alive connection not closed after its idle time: %v", err)
	}
	if d := time.Since(start); d < lim.Idle/2 {
		t.Errorf("closed after %v, before its idle time %v", d, lim.Idle)
	}
}

// A body that comes too slowly is cut off, with or without the token, and
// so is a client that stops reading the reply; a slow upload that keeps
// coming is not cut, however long it takes.
func TestSlowClientsAreCut(t *testing.T) {
	lim := api.Limits{ReadBody: 300 * time.Millisecond, BodyStall: 300 * time.Millisecond, WriteStall: 300 * time.Millisecond}
	ts, v, c := limitedServer(t, lim)
	form, formType := multipartFiles(t, [2]string{"slow.md", "# Slow\n\nThis upload comes a few bytes at a time.\n"})
	for _, tc := range []struct {
		name, path, ctype, auth, body string
		trickle                       bool
	}{
		{"JSON body stalls", "/api/memories", "application/json", "Bearer " + token, `{"text":"`, false},
		{"JSON body trickles", "/api/memories", "application/json", "Bearer " + token, `{"text":"` + strings.Repeat("a", 40), true},
		{"without a token", "/api/memories", "application/json", "", `{"text":"`, false},
		{"upload stalls", "/api/documents", formType, "Bearer " + token, form.String()[:form.Len()/2], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := dial(t, ts)
			hdr := "POST " + tc.path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + tc.ctype + "\r\nContent-Length: 100000\r\n"
			if tc.auth != "" {
				hdr += "Authorization: " + tc.auth + "\r\n"
			}
			io.WriteString(conn, hdr+"\r\n")
			start := time.Now()
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; i < len(tc.body); i++ {
					if _, err := conn.Write([]byte{tc.body[i]}); err != nil {
						return
					}
					if tc.trickle {
						time.Sleep(50 * time.Millisecond)
					}
				}
			}()
			if !closedByServer(conn, 5*time.Second) {
				t.Fatalf("the server still waits on the body after 5 s")
			}
			took := time.Since(start)
			t.Logf("cut after %v", took.Round(time.Millisecond))
			if took < 250*time.Millisecond || took > 3*time.Second {
				t.Errorf("cut after %v, limit %v", took, lim.ReadBody)
			}
			conn.Close()
			<-done
		})
	}
	if n := memoryCount(t, ts.URL); n != 0 {
		t.Errorf("%d memories from bodies cut off", n)
	}
	if left, _ := filepath.Glob(filepath.Join(v.Dir(), "uploads", "*", "*")); len(left) != 0 {
		t.Errorf("a stalled upload left %v", left)
	}

	// A slow upload that keeps coming, for longer than any one limit.
	conn := dial(t, ts)
	io.WriteString(conn, "POST /api/documents?wait=true HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+token+
		"\r\nContent-Type: "+formType+"\r\nContent-Length: "+strconv.Itoa(form.Len())+"\r\n\r\n")
	body := form.String()
	start := time.Now()
	for i := 0; i < len(body); i += len(body)/20 + 1 {
		io.WriteString(conn, body[i:min(i+len(body)/20+1, len(body))])
		time.Sleep(100 * time.Millisecond)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("slow upload over %v: %v %v", time.Since(start), resp, err)
	}
	conn.Close()

	// A client that asks for a large file and does not read it.
	big := filepath.Join(t.TempDir(), "big.md")
	os.WriteFile(big, []byte("# Big\n\nA file that grows.\n"), 0o644)
	if _, err := v.Add(context.Background(), []string{big}, vault.AddOptions{}); err != nil {
		t.Fatal(err)
	}
	os.Truncate(big, 64<<20) // served as it is on disk now
	var page struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	getJSON(t, ts.URL+"/api/documents?q=big", &page)
	if len(page.Items) != 1 {
		t.Fatalf("documents: %+v", page)
	}
	reader := dial(t, ts)
	reader.(*net.TCPConn).SetReadBuffer(4096)
	io.WriteString(reader, "GET /api/documents/"+strconv.FormatInt(page.Items[0].ID, 10)+"/file HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "+token+"\r\n\r\n")
	start = time.Now()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case sc := <-c.closed:
			if sc.RemoteAddr().String() != reader.LocalAddr().String() {
				continue
			}
			t.Logf("a client not reading was cut after %v", time.Since(start).Round(time.Millisecond))
			return
		case <-timeout:
			t.Fatal("the server still writes to a client that does not read, after 5 s")
		}
	}
}
