package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/secds/secds/abac"
	"github.com/secds/secds/auth"
	"github.com/secds/secds/internal/compose"
	"github.com/secds/secds/internal/config"
)

// child is a running child process of the harness.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	urls  []string
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop closes the child's stdin, which ends it, and waits a little.
func (c *child) stop() {
	_ = c.stdin.Close()
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}

// harness holds what a bench run started.
type harness struct {
	dir      string
	self     string
	children []*child
}

func (h *harness) start(role string, args ...string) (*child, error) {
	cmd := exec.Command(h.self, append([]string{"-child", role}, args...)...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", role, err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	h.children = append(h.children, c)
	if c.urls, err = readReady(bufio.NewReader(out)); err != nil {
		return nil, fmt.Errorf("%s: %w", role, err)
	}
	return c, nil
}

func (h *harness) close() {
	for i := len(h.children) - 1; i >= 0; i-- {
		h.children[i].stop()
	}
	_ = os.RemoveAll(h.dir)
}

// stack is a broker with its emulator, in a world.
type stack struct {
	world   world
	config  *config.Config
	file    string
	mapping *abac.Mapping
	tokens  *auth.Tokens
	aws     *child
	broker  *child
}

func (h *harness) startStack(w world, discoveryTTL string) (*stack, error) {
	dir := filepath.Join(h.dir, w.kind)
	if w.traceTo != "" {
		dir += "-traced"
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	file, err := w.write(dir, "http://127.0.0.1:"+port, discoveryTTL)
	if err != nil {
		return nil, err
	}
	st := &stack{world: w, file: file}
	if st.config, err = config.Load(file); err != nil {
		return nil, err
	}
	if st.mapping, err = compose.LoadMapping(st.config.MappingFile); err != nil {
		return nil, err
	}
	if st.tokens, err = tokensFor(st.config); err != nil {
		return nil, err
	}
	if err := h.run(st); err != nil {
		return nil, err
	}
	return st, nil
}

// run starts the stack's emulator and broker.
func (h *harness) run(st *stack) error {
	var err error
	if st.aws, err = h.start("aws", filepath.Dir(st.file), st.world.kind, strconv.Itoa(st.world.notebooks)); err != nil {
		return err
	}
	st.broker, err = h.start("broker", st.file, st.aws.urls[0])
	return err
}

// restart stops the stack's emulator and broker and starts new ones on the
// same files: the same keys (tokens stay valid) and the same port, nothing
// cached, and an emulator without the presigned URLs of earlier rounds
// (it scans them all on every call, so it slows down as they pile up).
func (h *harness) restart(st *stack) error {
	st.broker.stop()
	st.aws.stop()
	return h.run(st)
}

// requests mints a token for each of n users named prefix+i, with the
// broker's own auth.Tokens (as internal/e2e's issueToken does), and the
// body of their open.
func (st *stack) requests(prefix string, n int) ([]request, error) {
	out := make([]request, n)
	for i := range n {
		team, group := st.world.teamOf(i)
		name := username(prefix, i)
		id := abac.Identity{Subject: "sub-" + name, Username: name, Groups: []string{group}}
		tok, err := st.tokens.Issue(st.mapping.Keep(id))
		if err != nil {
			return nil, fmt.Errorf("issue a token for %s: %w", name, err)
		}
		body, _ := json.Marshal(map[string]string{"notebook": st.world.notebookOf(i), "team": team})
		out[i] = request{token: tok.Raw, body: body}
	}
	return out, nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// awsCalls reads the emulator's call counts by operation.
func awsCalls(ctx context.Context, url string) (map[string]int64, error) {
	if url == "" {
		return nil, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return nil, err
		}
		out[f[0]] = n
	}
	return out, sc.Err()
}
