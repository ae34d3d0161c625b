//go:build !windows

package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// service runs Serve on a fresh socket in dir until the test ends and
// returns the socket's path and a function that stops it and returns
// Serve's result.
func service(t *testing.T, dir string, cfg ListenConfig, sc ServerConfig) (string, func() error) {
	t.Helper()
	path := Address(dir, "t")
	l, err := Listen(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Service == "" {
		sc.Service = "the test service"
	}
	if sc.Version == "" {
		sc.Version = "1"
	}
	srv := Start(l, sc)
	t.Cleanup(func() { srv.Stop() })
	return path, srv.Stop
}

func client(path, version string) *Client {
	return NewClient(path, ClientConfig{Service: "the test service", Version: version})
}

// whoami answers the peer the transport saw.
func whoami() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := PeerFrom(r.Context())
		if err != nil {
			WriteError(w, http.StatusForbidden, KindForbidden, err.Error())
			return
		}
		_ = json.NewEncoder(w).Encode(p)
	})
}

func TestRoundTripCarriesThePeer(t *testing.T) {
	path, _ := service(t, t.TempDir(), ListenConfig{}, ServerConfig{Handler: whoami()})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the admin-style socket is %v, want a socket with mode 0600", fi.Mode())
	}
	var p Peer
	if err := client(path, "1").Do(context.Background(), http.MethodGet, "/v1/whoami", nil, &p); err != nil {
		t.Fatal(err)
	}
	if p.UID != strconv.Itoa(os.Geteuid()) || !p.SameUser || p.PID != os.Getpid() {
		t.Fatalf("peer = %+v, want this process (uid %d, pid %d) as the same user", p, os.Geteuid(), os.Getpid())
	}
	if p.Privileged != (os.Geteuid() == 0) {
		t.Fatalf("peer privileged = %v for uid %d", p.Privileged, os.Geteuid())
	}
}

func TestPublicSocketIsWorldConnectable(t *testing.T) {
	path, _ := service(t, t.TempDir(), ListenConfig{Public: true}, ServerConfig{Handler: whoami()})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o666 {
		t.Fatalf("the public socket has mode %v, want 0666", fi.Mode().Perm())
	}
}

func TestErrorsRoundTripWithTheirKind(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "not found", "there is no job S0100012")
	})
	path, _ := service(t, t.TempDir(), ListenConfig{}, ServerConfig{Handler: h})
	err := client(path, "1").Do(context.Background(), http.MethodGet, "/v1/jobs/S0100012", nil, nil)
	var e *Error
	if !errors.As(err, &e) || e.Kind != "not found" || e.Message != "there is no job S0100012" || e.Status != http.StatusNotFound {
		t.Fatalf("err = %#v, want the service's sentence with kind \"not found\"", err)
	}
	if KindOf(err) != "not found" {
		t.Fatalf("KindOf = %q", KindOf(err))
	}
}

func TestDifferentVersionsSaySoNamingBoth(t *testing.T) {
	path, _ := service(t, t.TempDir(), ListenConfig{}, ServerConfig{Version: "1.4", Handler: whoami()})
	c := client(path, "1.5")
	err := c.Do(context.Background(), http.MethodGet, "/v1/whoami", nil, nil)
	if KindOf(err) != KindVersion || !strings.Contains(err.Error(), "1.4") || !strings.Contains(err.Error(), "1.5") {
		t.Fatalf("a request across versions: %v, want one sentence naming 1.4 and 1.5", err)
	}
	info, err := c.Version(context.Background())
	if KindOf(err) != KindVersion || info.Version != "1.4" || !strings.Contains(err.Error(), "1.5") {
		t.Fatalf("the probe across versions: %+v, %v", info, err)
	}
	if info, err := client(path, "1.4").Version(context.Background()); err != nil || info.Service != "the test service" || info.Started.IsZero() {
		t.Fatalf("the probe at the same version: %+v, %v", info, err)
	}
}

// staleSocket leaves a socket at path that nobody answers on, as a killed
// service does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	l.Close()
}

func TestStaleSocketMeansNoServiceAndIsReplaced(t *testing.T) {
	dir := t.TempDir()
	path := Address(dir, "t")
	staleSocket(t, path)
	err := client(path, "1").Do(context.Background(), http.MethodGet, "/v1/whoami", nil, nil)
	if !errors.Is(err, ErrNoService) {
		t.Fatalf("calling a stale socket: %v, want ErrNoService", err)
	}
	if _, err := client(filepath.Join(dir, "absent.sock"), "1").Version(context.Background()); !errors.Is(err, ErrNoService) {
		t.Fatalf("calling no socket: %v, want ErrNoService", err)
	}
	path2, stop := service(t, dir, ListenConfig{}, ServerConfig{Handler: whoami()})
	if path2 != path {
		t.Fatal(path2)
	}
	if err := client(path, "1").Do(context.Background(), http.MethodGet, "/v1/whoami", nil, nil); err != nil {
		t.Fatalf("the service that replaced the stale socket: %v", err)
	}
	// A second service on a live socket is refused and leaves it alone.
	if _, err := Listen(path, ListenConfig{Service: "the test service"}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("a second service on a live socket: %v", err)
	}
	if err := client(path, "1").Do(context.Background(), http.MethodGet, "/v1/whoami", nil, nil); err != nil {
		t.Fatalf("the first service after a second was refused: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after a stop the socket is still there: %v", err)
	}
}

func TestListenRefusesWhatIsNotAStaleSocketOfOurs(t *testing.T) {
	dir := t.TempDir()
	path := Address(dir, "t")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(path, ListenConfig{}); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("a regular file at the socket path: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep me" {
		t.Fatal("the file was touched")
	}
	long := filepath.Join(dir, strings.Repeat("d", 120), "t.sock")
	if _, err := Listen(long, ListenConfig{}); err == nil || !strings.Contains(err.Error(), "shorter path") {
		t.Fatalf("a path too long for a socket: %v", err)
	}

	if os.Geteuid() != 0 {
		t.Skip("a socket owned by another user needs root to make (chown); this test runs as uid " + strconv.Itoa(os.Geteuid()))
	}
	nobody := lookupNobody(t)
	other := Address(dir, "other")
	staleSocket(t, other)
	if err := os.Chown(other, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(other, ListenConfig{Service: "the test service"})
	if err == nil || !strings.Contains(err.Error(), "belongs to user nobody") {
		t.Fatalf("a stale socket of another user: %v, want a sentence naming its owner", err)
	}
	if _, err := os.Lstat(other); err != nil {
		t.Fatalf("another user's socket was removed: %v", err)
	}
}

func TestStreamDeliversUntilTheClientStops(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := StreamContext(r)
		defer cancel()
		sw, err := NewStreamWriter(w)
		if err != nil {
			return
		}
		for i := 1; i <= 3; i++ {
			if sw.Send(map[string]int{"n": i}) != nil {
				return
			}
		}
		<-ctx.Done() // a live stream waits for more until someone leaves
	})
	path, stop := service(t, t.TempDir(), ListenConfig{}, ServerConfig{Handler: h})
	c := client(path, "1")

	ctx, cancel := context.WithCancel(context.Background())
	body, err := c.Stream(ctx, http.MethodGet, "/v1/watch", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	err = DecodeStream(ctx, body, func(v map[string]int) error {
		got = append(got, v["n"])
		if len(got) == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("stream: %v, %v", got, err)
	}

	// A second stream ends cleanly (EOF, nil) when the service stops.
	body, err = c.Stream(context.Background(), http.MethodGet, "/v1/watch", nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	streamDone := make(chan error, 1)
	go func() {
		streamDone <- DecodeStream(context.Background(), body, func(map[string]int) error {
			n++
			return nil
		})
	}()
	if err := stop(); err != nil {
		t.Fatalf("stopping with a stream open: %v", err)
	}
	if err := <-streamDone; err != nil || n != 3 {
		t.Fatalf("a stream when the service stops: %d values, %v", n, err)
	}
}

func TestStopLetsTheRequestInFlightFinishAndRefusesNewOnes(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/slow" {
			close(entered)
			<-release
		}
		_ = json.NewEncoder(w).Encode("done")
	})
	path, stop := service(t, t.TempDir(), ListenConfig{}, ServerConfig{Handler: h})
	c := client(path, "1")
	slow := make(chan error, 1)
	var answer string
	go func() { slow <- c.Do(context.Background(), http.MethodPost, "/v1/slow", nil, &answer) }()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// The socket goes as the stop begins: new callers find no service.
	for {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			break
		}
		runtimeGosched()
	}
	if err := client(path, "1").Do(context.Background(), http.MethodGet, "/v1/fast", nil, nil); !errors.Is(err, ErrNoService) {
		t.Fatalf("a new caller while stopping: %v, want ErrNoService", err)
	}
	close(release)
	if err := <-slow; err != nil || answer != "done" {
		t.Fatalf("the request in flight: %q, %v", answer, err)
	}
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
}

func TestServiceKilledMidRequestIsAnUnavailableSentence(t *testing.T) {
	// A raw listener that accepts and hangs up stands in for a service
	// killed after it took the request.
	path := Address(t.TempDir(), "t")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 512)
			_, _ = c.Read(buf)
			c.Close()
		}
	}()
	err = client(path, "1").Do(context.Background(), http.MethodGet, "/v1/whoami", nil, nil)
	if KindOf(err) != KindUnavailable || !strings.Contains(err.Error(), "went away") {
		t.Fatalf("a service that hangs up: %v", err)
	}
}

// lookupNobody returns nobody's uid, or skips with a sentence.
func lookupNobody(t *testing.T) int {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("this machine has no user nobody to act as a second local user")
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		t.Skip("user nobody has a non-numeric uid here")
	}
	return uid
}

// asNobody runs this test binary's helper as user nobody against path and
// returns what it printed: the peer it was seen as, or the error's kind and
// sentence.
func asNobody(t *testing.T, path, urlPath string) (Peer, string, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("acting as a second local user needs root (runuser); this test runs as uid " + strconv.Itoa(os.Geteuid()))
	}
	lookupNobody(t)
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		t.Skip("runuser is not installed, so no second local user can be tried")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(filepath.Dir(path), "helper.test")
	if _, err := os.Stat(bin); err != nil {
		data, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(bin, data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(runuser, "-u", "nobody", "--", bin, "-test.run=^TestHelperClient$")
	cmd.Env = append(os.Environ(), "LOCALAPI_HELPER_ADDR="+path, "LOCALAPI_HELPER_PATH="+urlPath)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the helper as nobody: %v\n%s", err, out)
	}
	var res struct {
		Peer    Peer
		Kind    string
		Message string
	}
	line := out
	if i := strings.IndexByte(string(out), '\n'); i >= 0 {
		line = out[:i]
	}
	if err := json.Unmarshal(line, &res); err != nil {
		t.Fatalf("the helper said %q: %v", out, err)
	}
	return res.Peer, res.Kind, res.Message
}

// TestHelperClient is the client that asNobody runs as another user.
func TestHelperClient(t *testing.T) {
	addr := os.Getenv("LOCALAPI_HELPER_ADDR")
	if addr == "" {
		t.Skip("runs only as the helper of the second-user tests")
	}
	var res struct {
		Peer    Peer
		Kind    string
		Message string
	}
	err := client(addr, "1").Do(context.Background(), http.MethodGet, os.Getenv("LOCALAPI_HELPER_PATH"), nil, &res.Peer)
	if err != nil {
		res.Kind, res.Message = KindOf(err), err.Error()
		if errors.Is(err, ErrNoService) {
			res.Kind = "no service"
		}
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	os.Exit(0) // keep the test framework's PASS line out of the answer
}

// worldDir is a folder every user can enter, so that only the socket's own
// mode and the peer check decide.
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "localapi-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAnotherUserCannotOpenAPrivateSocket(t *testing.T) {
	dir := worldDir(t)
	path, _ := service(t, dir, ListenConfig{}, ServerConfig{Handler: whoami()})
	_, kind, msg := asNobody(t, path, "/v1/whoami")
	if kind != KindForbidden || !strings.Contains(msg, "belongs to user root") {
		t.Fatalf("nobody on the 0600 socket: kind %q, %q", kind, msg)
	}
}

func TestPeerCredentialsDecideOnAPublicSocket(t *testing.T) {
	dir := worldDir(t)
	mux := http.NewServeMux()
	mux.Handle("/v1/whoami", whoami())
	mux.Handle("/v1/admin/", RequirePeer(whoami(), Peer.OwnerOrPrivileged, func(p Peer) string {
		return "only the service's own user may change settings; uid " + p.UID + " may not"
	}))
	path, _ := service(t, dir, ListenConfig{Public: true}, ServerConfig{Handler: mux})
	nobody := strconv.Itoa(lookupNobody(t))

	p, kind, msg := asNobody(t, path, "/v1/whoami")
	if kind != "" || p.UID != nobody || p.SameUser || p.Privileged || p.PID == 0 {
		t.Fatalf("nobody on the public socket was seen as %+v (%s %s), want uid %s", p, kind, msg, nobody)
	}
	_, kind, msg = asNobody(t, path, "/v1/admin/enroll")
	if kind != KindForbidden || !strings.Contains(msg, "uid "+nobody+" may not") {
		t.Fatalf("nobody on an owner-only path: kind %q, %q", kind, msg)
	}
	var me Peer
	if err := client(path, "1").Do(context.Background(), http.MethodGet, "/v1/admin/enroll", nil, &me); err != nil || !me.SameUser {
		t.Fatalf("the owner on an owner-only path: %+v, %v", me, err)
	}
}

func runtimeGosched() { runtime.Gosched() }
