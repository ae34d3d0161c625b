package smbfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/core/share/sharetest"
	"opensms/storage/sambatest"
	"opensms/storage/smbfs"
)

const dist = "DIST1"

func open(t testing.TB, srv *sambatest.Server, loc model.Location, opt smbfs.Options) *smbfs.FS {
	t.Helper()
	fsys, err := smbfs.Open(context.Background(), loc, srv.Credentials(), opt)
	if err != nil {
		t.Fatalf("open %s: %v\nsmbd log:\n%s", loc, err, srv.LogTail(10))
	}
	t.Cleanup(func() { _ = fsys.Close() })
	return fsys
}

// freshFolder makes an empty folder in the share and returns its location.
func freshFolder(t testing.TB, srv *sambatest.Server) model.Location {
	t.Helper()
	dir, err := os.MkdirTemp(srv.Dir(dist), "t")
	if err != nil {
		t.Fatal(err)
	}
	loc := srv.Location(dist)
	loc.Path = filepath.Base(dir)
	return loc
}

func TestConformance(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	sharetest.Run(t, func(t *testing.T) share.FS {
		return open(t, srv, freshFolder(t, srv), smbfs.Options{})
	})
}

func TestShareRoot(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	fsys := open(t, srv, srv.Location(dist), smbfs.Options{})
	if err := share.WriteFileAtomic(context.Background(), fsys, "S0100001/a.txt", []byte("root")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(srv.Dir(dist), "S0100001", "a.txt"))
	if err != nil || string(got) != "root" {
		t.Fatalf("on disk: %q, %v", got, err)
	}
	if err := fsys.RemoveAll("."); !errors.Is(err, fs.ErrInvalid) {
		t.Fatalf("RemoveAll of the share root: %v", err)
	}
	// Through the opener and a nested folder location.
	loc := srv.Location(dist).Join("S0100001")
	sub, err := share.Opener(smbfs.Opener{}).Open(context.Background(), loc, srv.Credentials())
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	b, err := share.ReadFile(sub, "a.txt", 10)
	if err != nil || string(b) != "root" {
		t.Fatalf("through %s: %q, %v", loc, b, err)
	}
}

// checkMessage fails when err does not name the server or holds a password.
func checkMessage(t *testing.T, err error, srv *sambatest.Server, secrets ...string) {
	t.Helper()
	msg := err.Error()
	server := fmt.Sprintf(`\\127.0.0.1:%d\`, srv.Port())
	if !strings.Contains(msg, server) {
		t.Errorf("error %q does not name the server %s", msg, server)
	}
	for _, s := range append(secrets, srv.Credentials().Password.Reveal()) {
		if strings.Contains(msg, s) {
			t.Errorf("error %q holds a password", msg)
		}
	}
}

func TestWrongPassword(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	cred := srv.Credentials()
	cred.Password = model.NewSecret("Wr0ng-Passw0rd")
	_, err := smbfs.Open(context.Background(), srv.Location(dist), cred, smbfs.Options{})
	if !errors.Is(err, share.ErrAuth) || !share.IsPermanent(err) {
		t.Fatalf("wrong password: %v, want ErrAuth", err)
	}
	checkMessage(t, err, srv, "Wr0ng-Passw0rd")
	t.Logf("wrong password: %v", err)

	cred.User = "nobody-here"
	if _, err := smbfs.Open(context.Background(), srv.Location(dist), cred, smbfs.Options{}); !errors.Is(err, share.ErrAuth) {
		t.Fatalf("unknown user: %v, want ErrAuth", err)
	}
	loc := srv.Location(dist)
	loc.User = ""
	if _, err := smbfs.Open(context.Background(), loc, model.Credentials{Password: srv.Credentials().Password}, smbfs.Options{}); !errors.Is(err, share.ErrAuth) {
		t.Fatalf("no user: %v, want ErrAuth", err)
	}
	// The location's user stands in for an empty credential user.
	cred = srv.Credentials()
	cred.User = ""
	fsys, err := smbfs.Open(context.Background(), srv.Location(dist), cred, smbfs.Options{})
	if err != nil {
		t.Fatalf("user from the location: %v", err)
	}
	fsys.Close()
}

func TestMissingShareAndFolder(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	_, err := smbfs.Open(context.Background(), srv.Location("NOSUCH"), srv.Credentials(), smbfs.Options{})
	if !errors.Is(err, share.ErrNoShare) || !strings.Contains(err.Error(), "NOSUCH") {
		t.Fatalf("missing share: %v, want ErrNoShare naming it", err)
	}
	t.Logf("missing share: %v", err)
	loc := srv.Location(dist).Join("no", "folder")
	_, err = smbfs.Open(context.Background(), loc, srv.Credentials(), smbfs.Options{})
	if !errors.Is(err, share.ErrNoShare) || !strings.Contains(err.Error(), `\DIST1\no\folder`) {
		t.Fatalf("missing folder: %v, want ErrNoShare naming it", err)
	}
	checkMessage(t, err, srv)
}

func TestNotListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	loc := model.Location{Scheme: "smb", User: "u", Host: "127.0.0.1", Port: port, Share: dist}
	start := time.Now()
	_, err = smbfs.Open(context.Background(), loc, model.Credentials{Password: model.NewSecret("pw")}, smbfs.Options{DialTimeout: time.Second})
	if !errors.Is(err, share.ErrUnreachable) || share.IsPermanent(err) {
		t.Fatalf("nobody listening: %v, want ErrUnreachable", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf(`\\127.0.0.1:%d\DIST1`, port)) {
		t.Errorf("error %q does not name the server", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	t.Logf("not listening: %v", err)
}

// A server that accepts the connection but never answers: the handshake
// must end within the dial timeout.
func TestSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(done)
	wg.Go(func() {
		c, err := l.Accept()
		if err == nil {
			<-done
			c.Close()
		}
	})
	loc := model.Location{Scheme: "smb", User: "u", Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port, Share: dist}
	start := time.Now()
	_, err = smbfs.Open(context.Background(), loc, model.Credentials{Password: model.NewSecret("pw")}, smbfs.Options{DialTimeout: 500 * time.Millisecond})
	if !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("silent server: %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("took %v with a 500ms dial timeout", d)
	}
	t.Logf("silent server: %v", err)
}

func TestContextBoundsTheShare(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	fsys, err := smbfs.Open(ctx, srv.Location(dist), srv.Credentials(), smbfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := fsys.ReadDir("."); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := fsys.ReadDir("."); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v, want context.Canceled", err)
	}
}

func payload(n int) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{1, 2, 3})
	_, _ = r.Read(b)
	return b
}

// smbd stops in the middle of a put: the put fails as unreachable, keeps
// its temporary file, and resumes once the server is back.
func TestServerStopsMidPut(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	loc := freshFolder(t, srv)
	data := payload(64 << 20)
	ctx := context.Background()

	fsys := open(t, srv, loc, smbfs.Options{})
	err := putStoppingServer(t, srv, fsys, "S0100001/pkg.tzst", data, 40<<20)
	checkMessage(t, err, srv)
	t.Logf("smbd stopped: %v", err)
	if _, err := fsys.Stat("."); !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("Stat on the dead connection: %v", err)
	}

	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	fsys2 := open(t, srv, loc, smbfs.Options{})
	res, err := share.PutAtomic(ctx, fsys2, "S0100001/pkg.tzst", bytes.NewReader(data), int64(len(data)), share.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed <= 0 || res.Resumed+res.Written != int64(len(data)) {
		t.Fatalf("after restart: %+v, want Resumed > 0", res)
	}
	t.Logf("resumed %d MiB, wrote %d MiB", res.Resumed>>20, res.Written>>20)
	got, err := os.ReadFile(filepath.Join(srv.Dir(dist), loc.Path, "S0100001", "pkg.tzst"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file on the server differs (%d bytes, %v)", len(got), err)
	}
	left, _ := os.ReadDir(filepath.Join(srv.Dir(dist), loc.Path, "S0100001"))
	if len(left) != 1 {
		t.Fatalf("beside the file: %v", left)
	}
}

// putStoppingServer puts data as name and stops srv once more than after
// bytes are written; the put must fail as unreachable, not permanently.
func putStoppingServer(t *testing.T, srv *sambatest.Server, fsys share.FS, name string, data []byte, after int64) error {
	t.Helper()
	stopped := false
	_, err := share.PutAtomic(context.Background(), fsys, name, bytes.NewReader(data), int64(len(data)), share.PutOptions{
		Progress: func(done, _ int64) {
			if done > after && !stopped {
				stopped = true
				srv.Stop()
			}
		},
	})
	if !errors.Is(err, share.ErrUnreachable) || share.IsPermanent(err) {
		t.Fatalf("put with smbd stopped: %v, want ErrUnreachable", err)
	}
	return err
}

// The same story through share.Retry, which opens the share on each try.
func TestRetryRidesOutARestart(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	loc := freshFolder(t, srv)
	data := payload(40 << 20)
	var once sync.Once
	var restarted sync.WaitGroup
	defer restarted.Wait()
	attempts := 0
	var last share.PutResult
	err := share.Retry(context.Background(), share.RetryPolicy{Initial: 200 * time.Millisecond, Max: time.Second, MaxAttempts: 8}, func(ctx context.Context) error {
		attempts++
		fsys, err := smbfs.Open(ctx, loc, srv.Credentials(), smbfs.Options{DialTimeout: time.Second})
		if err != nil {
			return err
		}
		defer fsys.Close()
		last, err = share.PutAtomic(ctx, fsys, "big.bin", bytes.NewReader(data), int64(len(data)), share.PutOptions{
			Progress: func(done, _ int64) {
				if done > 30<<20 {
					once.Do(func() {
						srv.Stop()
						restarted.Go(func() {
							time.Sleep(300 * time.Millisecond)
							if err := srv.Restart(); err != nil {
								t.Error(err)
							}
						})
					})
				}
			},
		})
		return err
	})
	if err != nil {
		t.Fatalf("after %d attempts: %v", attempts, err)
	}
	if attempts < 2 || last.Resumed <= 0 {
		t.Fatalf("%d attempts, last %+v: want a resumed second attempt", attempts, last)
	}
	got, err := os.ReadFile(filepath.Join(srv.Dir(dist), loc.Path, "big.bin"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file differs (%d bytes, %v)", len(got), err)
	}
}

// A hung server (SIGSTOP) keeps the connection open; the stall guard ends
// the waiting calls.
func TestHungServer(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	fsys := open(t, srv, srv.Location(dist), smbfs.Options{StallTimeout: time.Second})
	if _, err := fsys.ReadDir("."); err != nil {
		t.Fatal(err)
	}
	srv.Freeze()
	defer srv.Thaw()
	start := time.Now()
	_, err := fsys.Stat("x")
	if !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("Stat on a hung server: %v, want ErrUnreachable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v with a 1s stall timeout", d)
	}
	t.Logf("hung server: %v", err)
	closed := make(chan error)
	go func() { closed <- fsys.Close() }()
	select {
	case <-closed:
	case <-time.After(4 * time.Second):
		t.Fatal("Close hangs on a hung server")
	}
}

// Signing asked for by the client, of a server that only offers it.
func TestSecurity(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	ctx := share.WithSecurity(context.Background(), share.Security{RequireSigning: true})
	fsys, err := smbfs.Open(ctx, srv.Location(dist), srv.Credentials(), smbfs.Options{})
	if err != nil {
		t.Fatalf("signing required: %v", err)
	}
	defer fsys.Close()
	data := payload(20 << 20)
	if _, err := share.PutAtomic(ctx, fsys, "signed.bin", bytes.NewReader(data), int64(len(data)), share.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(srv.Dir(dist), "signed.bin")); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("file differs (%d bytes, %v)", len(got), err)
	}
}

// smbd stops in the middle of a download: the .part file stays and the
// next Fetch resumes it.
func TestServerStopsMidFetch(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	data := payload(48 << 20)
	if err := os.WriteFile(filepath.Join(srv.Dir(dist), "pkg.tzst"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "pkg.tzst")
	fsys := open(t, srv, srv.Location(dist), smbfs.Options{})
	stopped := false
	_, err := share.Fetch(context.Background(), fsys, "pkg.tzst", dst, int64(len(data)), func(done, _ int64) {
		if done > 36<<20 && !stopped {
			stopped = true
			srv.Stop()
		}
	})
	if !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("fetch with smbd stopped: %v, want ErrUnreachable", err)
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	res, err := share.Fetch(context.Background(), open(t, srv, srv.Location(dist), smbfs.Options{}), "pkg.tzst", dst, int64(len(data)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed <= 0 {
		t.Fatalf("after restart: %+v, want Resumed > 0", res)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs (%d bytes, %v)", len(got), err)
	}
}

// A share on a small tmpfs fills up: the put fails as ErrFull, which is
// permanent, and leaves no temporary file taking the space.
func TestShareFull(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	dir := srv.Dir(dist)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	fsys := open(t, srv, srv.Location(dist), smbfs.Options{})
	data := payload(16 << 20)
	_, err := share.PutAtomic(context.Background(), fsys, "big.bin", bytes.NewReader(data), int64(len(data)), share.PutOptions{})
	if !errors.Is(err, share.ErrFull) || !share.IsPermanent(err) {
		t.Fatalf("put on a full share: %v, want ErrFull", err)
	}
	checkMessage(t, err, srv)
	t.Logf("full share: %v", err)
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Fatalf("left on the full share: %v", left)
	}
}

// Open and Close leave no goroutine behind, after success or failure.
func TestNoGoroutineLeak(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	settle := func() int {
		var n int
		for range 50 {
			n = runtime.NumGoroutine()
			time.Sleep(20 * time.Millisecond)
			if runtime.NumGoroutine() == n {
				break
			}
		}
		return n
	}
	before := settle()
	bad := srv.Credentials()
	bad.Password = model.NewSecret("wrong")
	for range 5 {
		fsys, err := smbfs.Open(context.Background(), srv.Location(dist), srv.Credentials(), smbfs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fsys.ReadDir("."); err != nil {
			t.Fatal(err)
		}
		fsys.Close()
		if _, err := smbfs.Open(context.Background(), srv.Location(dist), bad, smbfs.Options{}); err == nil {
			t.Fatal("wrong password worked")
		}
		if _, err := smbfs.Open(context.Background(), srv.Location("NOSUCH"), srv.Credentials(), smbfs.Options{}); err == nil {
			t.Fatal("missing share worked")
		}
	}
	if after := settle(); after > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
