//go:build !windows

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/adminapi"
	"opensms/storage/localapi"
)

// service is a real `smsctl watchdog serve` process on a data directory.
type service struct {
	t      *testing.T
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// startService starts the site service on data and returns once it answers
// on its socket. The test's cleanup stops it if it still runs.
func startService(t *testing.T, data string, args ...string) *service {
	t.Helper()
	cmd := exec.Command(smsctlBin, append([]string{"--data", data, "watchdog", "serve"}, args...)...)
	s := &service{t: t, cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			cmd.Process.Kill()
			<-s.exited
		}
	})
	for {
		c, err := adminapi.Attach(context.Background(), data, version)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.exited:
			t.Fatalf("the site service ended before it answered: %v\n%s", s.err, s.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop sends sig and returns the exit code.
func (s *service) stop(sig syscall.Signal) int {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	<-s.exited
	var ee *exec.ExitError
	if errors.As(s.err, &ee) {
		return ee.ExitCode()
	}
	if s.err != nil {
		s.t.Fatal(s.err)
	}
	return 0
}

// runHere runs smsctl's own code in this process (as the binary's main
// does), attaching or embedding as it decides.
func runHere(e *env, args ...string) result {
	var out, errb bytes.Buffer
	e.stdin, e.stdout, e.stderr = strings.NewReader(""), &out, &errb
	if e.open == nil {
		e.open = openStore
	}
	code := run(context.Background(), args, e)
	return result{code, out.String(), errb.String()}
}

// localSite makes, embedded, a site whose site share and distribution
// server are local folders, one computer and a package of size bytes, and
// returns the package's ID and the server's folder.
func localSite(t *testing.T, c *cli, size int) (pkg, dist string) {
	t.Helper()
	root := t.TempDir()
	dist = filepath.Join(root, "dist")
	src := filepath.Join(root, "src")
	for _, d := range []string{dist, src, filepath.Join(root, "site")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	blob := make([]byte, size)
	rand.Read(blob)
	os.WriteFile(filepath.Join(src, "payload.bin"), blob, 0o644)
	os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo hi\n"), 0o644)
	c.ok("site", "add", "--code", "S01", "--name", "Head Office", "--share", "file://"+filepath.Join(root, "site"))
	c.ok("server", "add", "--site", "S01", "--name", "dist1", "--url", "file://"+dist, "--default")
	c.ok("computer", "add", "--site", "S01", "--name", "PC001", "--platform", "linux/amd64")
	pkg = strings.TrimSpace(c.ok("package", "add", "--name", "Hello", "--version", "1.0", "--source", src,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", "linux/amd64", "--automated"))
	return pkg, dist
}

// archiveOn waits until the server folder holds a complete archive of pkg
// (or the service dies, or a minute passes: then the test fails).
func archiveOn(t *testing.T, s *service, dist, pkg string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		m, _ := filepath.Glob(filepath.Join(dist, pkg, "*.tzst"))
		if len(m) == 1 {
			return
		}
		select {
		case <-s.exited:
			t.Fatalf("the site service ended: %v\n%s", s.err, s.stderr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no archive of %s reached %s; the service said:\n%s", pkg, dist, s.stderr)
		}
	}
}

func TestSiteServiceServesAttachedConsolesAndStopsCleanly(t *testing.T) {
	c := newCLI(t)
	pkg, dist := localSite(t, c, 1024)
	s := startService(t, c.data, "--interval", "1s")
	sock := adminapi.Address(c.data)
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the socket: %v %v, want mode 0600", fi, err)
	}

	// The CLI code attaches: the cycle runs in the service, its lines come back.
	r := runHere(&env{}, "--data", c.data, "watchdog", "run-once")
	if r.code != 0 {
		t.Fatalf("run-once attached: %s", r)
	}
	r = runHere(&env{}, "--data", c.data, "watchdog", "serve")
	if r.code != 1 || !strings.Contains(r.stderr, "the site service for "+c.data+" is already running (since ") {
		t.Fatalf("a second service: %s", r)
	}
	r = runHere(&env{}, "--data", c.data, "key", "show")
	if r.code != 0 || len(strings.TrimSpace(r.stdout)) < 16 {
		t.Fatalf("key show attached: %s", r)
	}
	r = runHere(&env{}, "--data", c.data, "--json", "watchdog", "run-once")
	if r.code != 0 || !strings.HasPrefix(strings.TrimSpace(r.stdout), "[") {
		t.Fatalf("run-once --json attached: %s", r)
	}

	// A job added while the service runs reaches its server by the
	// service's own cycle.
	api, err := adminapi.Attach(context.Background(), c.data, version)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	if _, err := api.AddJob(context.Background(), jobFor(pkg)); err != nil {
		t.Fatal(err)
	}
	archiveOn(t, s, dist, pkg)

	// SIGTERM: exit 0, the socket gone, and the data opens embedded.
	if code := s.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM: exit %d\n%s", code, s.stderr)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after SIGTERM the socket is still there: %v", err)
	}
	if !strings.Contains(s.stderr.String(), "site service stopped") {
		t.Fatalf("the service did not say it stopped:\n%s", s.stderr)
	}
	r = runHere(&env{}, "--data", c.data, "watchdog", "run-once")
	if r.code != 0 {
		t.Fatalf("run-once embedded after the service stopped: %s", r)
	}
}

// jobFor is a Run Command job of pkg on site S01.
func jobFor(pkg string) (j model.Job) {
	j = model.Job{Package: pkg}
	j.Target = model.Target{Kind: model.TargetSite, Name: "S01"}
	j.ApplyDefaults()
	return j
}

func TestSiteServiceRefusesAnotherVersionAndAnotherUser(t *testing.T) {
	c := newCLI(t)
	localSite(t, c, 16)
	startService(t, c.data, "--interval", "1h")

	r := runHere(&env{version: "9.9-other"}, "--data", c.data, "watchdog", "run-once")
	if r.code != 1 || !strings.Contains(r.stderr, "9.9-other") || !strings.Contains(r.stderr, version) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("another version: %s, want exit 1 and one sentence naming both versions", r)
	}

	if os.Geteuid() != 0 {
		t.Skip("trying the service as a second local user needs root (runuser); this test runs as uid", os.Geteuid())
	}
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("this machine has no user nobody to act as a second local user")
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		t.Skip("runuser is not installed, so no second local user can be tried")
	}
	// nobody gets a binary it may run, and may enter the data's parent:
	// only the service's own rules keep it out.
	pub, err := os.MkdirTemp("", "smsctl-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(pub)
	os.Chmod(pub, 0o755)
	os.Chmod(filepath.Dir(c.data), 0o755)
	bin := filepath.Join(pub, "smsctl")
	data, _ := os.ReadFile(smsctlBin)
	os.WriteFile(bin, data, 0o755)
	for _, args := range [][]string{{"watchdog", "run-once"}, {"--json", "watchdog", "run-once"}} {
		cmd := exec.Command(runuser, append([]string{"-u", "nobody", "--", bin, "--data", c.data}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "belongs to user root") {
			t.Fatalf("nobody %v: %v\nstdout %q\nstderr %q", args, err, out.String(), errb.String())
		}
	}
}

func TestSiteServiceKilledMidPushResumesAndConsolesSaySo(t *testing.T) {
	c := newCLI(t)
	pkg, dist := localSite(t, c, 48<<20)
	s := startService(t, c.data, "--interval", "1h")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	api, err := adminapi.Attach(ctx, c.data, version)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	changes, err := api.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created, err := api.AddJob(ctx, jobFor(pkg))
	if err != nil {
		t.Fatal(err)
	}
	// Kill the service as its push starts.
	for ch := range changes {
		if ch.Kind == watchdog.UpdateTransfer {
			break
		}
	}
	if code := s.stop(syscall.SIGKILL); code != -1 {
		t.Fatalf("SIGKILL: exit %d", code)
	}
	// The watcher's stream ends; a console's next call says the service went away.
	for range changes {
	}
	_, err = api.ListJobs(ctx)
	if admin.KindOf(err) != admin.KindUnavailable || !strings.Contains(err.Error(), "went away") {
		t.Fatalf("a call after the service was killed: %v", err)
	}
	if _, err := os.Lstat(adminapi.Address(c.data)); err != nil {
		t.Fatalf("a killed service leaves its socket (the next start removes it): %v", err)
	}
	if _, err := adminapi.Attach(ctx, c.data, version); !errors.Is(err, localapi.ErrNoService) {
		t.Fatalf("attaching to the stale socket: %v, want no service", err)
	}

	// The next start removes the stale socket and resumes: the job is not lost.
	s = startService(t, c.data, "--interval", "1s")
	archiveOn(t, s, dist, pkg)
	api2, err := adminapi.Attach(ctx, c.data, version)
	if err != nil {
		t.Fatal(err)
	}
	defer api2.Close()
	st, err := api2.GetJob(ctx, created.Job.ID)
	if err != nil {
		t.Fatalf("the job after the restart: %v", err)
	}
	if st.Job.ID != created.Job.ID {
		t.Fatalf("the job after the restart: %+v", st.Job)
	}
	if code := s.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("SIGTERM after the restart: exit %d\n%s", code, s.stderr)
	}
}

func TestInstallServicePrintsAUnitThatServesTheDataAndChangesNothing(t *testing.T) {
	c := newCLI(t)
	out := c.ok("watchdog", "install-service", "--print")
	abs, _ := filepath.Abs(c.data)
	name := serviceName(siteServicePrefix, abs)
	for _, want := range []string{
		"# " + name + ".service",
		"ExecStart=" + smsctlBin + " --data " + abs + " watchdog serve\n",
		"KillSignal=SIGTERM\n",
		"WantedBy=multi-user.target\n",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("install-service --print lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(unitDir, name+".service")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("--print installed something: %v", err)
	}
	if _, err := os.Stat(c.data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("--print made the data directory: %v", err)
	}
}

func TestSystemdQuoting(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/smsctl":   "/usr/bin/smsctl",
		"/srv/my site":      `"/srv/my site"`,
		`/srv/a"b`:          `"/srv/a\"b"`,
		"/srv/$HOME":        `"/srv/$$HOME"`,
		"/srv/100%":         "/srv/100%%",
		"":                  `""`,
		`C:\odd\path`:       `"C:\\odd\\path"`,
		"/srv/semi;colon":   `"/srv/semi;colon"`,
		"/srv/single'quote": `"/srv/single'quote"`,
	} {
		if got := systemdQuote(in); got != want {
			t.Errorf("systemdQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestTwoConsolesDuringACycleLoseNoUpdate: one console cancels a job while
// the service's cycle pushes it, another adds a job and asks for cycles;
// the cancel is not undone by the watchdog's progress, nor the new job lost.
func TestTwoConsolesDuringACycleLoseNoUpdate(t *testing.T) {
	c := newCLI(t)
	pkg, dist := localSite(t, c, 32<<20)
	s := startService(t, c.data, "--interval", "1s")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := adminapi.Attach(ctx, c.data, version)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := adminapi.Attach(ctx, c.data, version)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	changes, err := a.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	first, err := a.AddJob(ctx, jobFor(pkg))
	if err != nil {
		t.Fatal(err)
	}
	for ch := range changes {
		if ch.Kind == watchdog.UpdateTransfer {
			break // the cycle is pushing the first job
		}
	}
	if err := b.CancelJob(ctx, first.Job.ID); err != nil && !errors.Is(err, watchdog.ErrFinished) && admin.KindOf(err) != admin.KindInvalid {
		t.Fatalf("cancelling during the push: %v", err)
	}
	second, err := b.AddJob(ctx, jobFor(pkg))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := a.RunCycle(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st1, err := b.GetJob(ctx, first.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the first job: %s (cancel %v)", st1.Job.Status.State, st1.Job.Cancel)
	// Cancelled in flight it stays Canceled; finished before the cancel
	// arrived it stays finished. Either way the other's write stands.
	if st1.Job.Status.State != model.JobCanceled && !st1.Job.Status.State.Final() {
		t.Fatalf("the first job after a cancel during its push and two cycles: %s", st1.Job.Status.State)
	}
	if !st1.Job.Cancel && st1.Job.Status.State == model.JobCanceled {
		t.Fatalf("the first job is Canceled without its cancel flag")
	}
	st2, err := a.GetJob(ctx, second.Job.ID)
	if err != nil {
		t.Fatalf("the job the other console added: %v", err)
	}
	if st2.Job.Status.State == model.JobPending || st2.Job.Status.State == model.JobCanceled {
		t.Fatalf("the second job did not go on: %s", st2.Job.Status.State)
	}
	archiveOn(t, s, dist, pkg)
}
