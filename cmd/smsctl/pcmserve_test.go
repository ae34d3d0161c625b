//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/storage/pcmapi"
)

// agentSite is an Administrator (embedded, local folders for the site share
// and the distribution server) and a client data directory C, all under a
// folder every local user may enter, so that another user can reach C's
// socket and run a copy of smsctl.
type agentSite struct {
	t     *testing.T
	admin *cli
	c     string // the client's data directory
	bin   string // smsctl, where every user may run it
	out   string // where packages leave their effects (everyone may write)
	src   string
	fp    string
}

func newAgentSite(t *testing.T) *agentSite {
	base, err := os.MkdirTemp("", "opensms-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	s := &agentSite{t: t, admin: &cli{t: t, data: filepath.Join(base, "admin")}, c: filepath.Join(base, "C"),
		bin: filepath.Join(base, "smsctl"), out: filepath.Join(base, "out"), src: filepath.Join(base, "src")}
	for _, d := range []string{filepath.Join(base, "site"), filepath.Join(base, "dist"), s.out, s.src} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(base, 0o755)
	os.Chmod(s.out, 0o777)
	data, err := os.ReadFile(smsctlBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	plat := runtime.GOOS + "/" + runtime.GOARCH
	s.admin.ok("site", "add", "--code", "S01", "--name", "Head Office", "--share", "file://"+filepath.Join(base, "site"))
	s.admin.ok("server", "add", "--site", "S01", "--name", "DIST1", "--url", "file://"+filepath.Join(base, "dist"), "--default")
	s.admin.ok("computer", "add", "--site", "S01", "--name", "PC001", "--platform", plat)
	s.fp = strings.TrimSpace(s.admin.ok("key", "show"))
	return s
}

// job makes a package with script and a job of it for PC001 with the
// extra job flags, offers it, and returns the job's ID.
func (s *agentSite) job(name, script string, pkgFlags []string, jobFlags ...string) string {
	s.t.Helper()
	src := filepath.Join(s.src, name)
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "install.sh"), []byte(script), 0o644)
	pkg := strings.TrimSpace(s.admin.ok(append([]string{"package", "add", "--name", name, "--version", "1", "--source", src,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", runtime.GOOS + "/" + runtime.GOARCH, "--automated"}, pkgFlags...)...))
	id := strings.TrimSpace(s.admin.ok(append([]string{"job", "add", "--package", pkg, "--target", "computer:PC001"}, jobFlags...)...))
	if out := s.admin.ok("watchdog", "run-once"); !strings.Contains(out, "offered to 1 computer") {
		s.t.Fatalf("job %s was not offered:\n%s", id, out)
	}
	return id
}

// agent is a real `smsctl pcm serve` process.
type agent struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// startAgent starts the client agent on C and returns once it answers.
func (s *agentSite) startAgent() *agent {
	s.t.Helper()
	a := &agent{cmd: exec.Command(s.bin, "--data", s.c, "pcm", "serve", "--interval", "1s"), stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	a.cmd.Stderr = a.stderr
	if err := a.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.exited) }()
	s.t.Cleanup(func() { a.cmd.Process.Kill(); <-a.exited })
	for {
		if c, err := pcmapi.Attach(context.Background(), s.c, version); err == nil {
			c.Close()
			return a
		}
		select {
		case <-a.exited:
			s.t.Fatalf("the client agent ended before it answered:\n%s", a.stderr)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// as runs the copied smsctl on C as user ("" = this user).
func (s *agentSite) as(who string, args ...string) result {
	s.t.Helper()
	argv := append([]string{s.bin, "--data", s.c}, args...)
	if who != "" {
		argv = append([]string{"runuser", "-u", who, "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader("")
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("running %s: %v", strings.Join(argv, " "), err)
	}
	return result{code, out.String(), errb.String()}
}

// waitFile waits until path holds at least n lines and returns them.
func waitFile(t *testing.T, path string, n int, what string) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(b) > 0 && len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s holds %q", what, path, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// otherUser is the local user the permission checks run as, or a sentence
// saying why there is none.
func otherUser() (string, string) {
	if os.Geteuid() != 0 {
		return "", "the test does not run as root, so it cannot act as another local user"
	}
	if _, err := exec.LookPath("runuser"); err != nil {
		return "", "runuser is not installed"
	}
	if _, err := user.Lookup("nobody"); err != nil {
		return "", "this machine has no user nobody"
	}
	return "nobody", ""
}

// The client agent as the "done when" has it: enrolled once for the
// computer, it serves every local user; another user lists and runs what is
// offered (with the agent's rights) but cannot enrol; a mandatory system
// background task runs with nobody attached; killed with SIGKILL mid-install
// it takes the installer along, and after a restart the Administrator reads
// the run as interrupted, its installer never having run twice at once.
func TestClientAgent(t *testing.T) {
	s := newAgentSite(t)
	whoami := s.job("Whoami", fmt.Sprintf("id -u >> %s/uid\n", s.out), nil)
	// Enrolled before the agent starts, embedded, as root would.
	if r := s.as("", "pcm", "enroll", "--site-share", "file://"+filepath.Join(filepath.Dir(s.c), "site"), "--name", "PC001", "--trust", s.fp); r.code != 0 {
		t.Fatalf("pcm enroll: %s", r)
	}
	a := s.startAgent()
	if fi, err := os.Stat(s.c); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("the agent's data directory: %v, %v", fi.Mode(), err)
	}
	for _, inner := range []string{"state", "cache", "secret.key"} {
		if fi, err := os.Stat(filepath.Join(s.c, inner)); err != nil || fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is not the agent's alone: %v, %v", inner, fi.Mode(), err)
		}
	}

	other, why := otherUser()
	if other == "" {
		t.Logf("the permission checks run as this user only: %s", why)
	}
	// Listing attaches (the store is the agent's: an embedded engine could
	// not open it while the agent runs).
	if r := s.as(other, "pcm", "list"); r.code != 0 || !strings.Contains(r.stdout, whoami) {
		t.Fatalf("pcm list as %q: %s", other, r)
	}
	if r := s.as(other, "pcm", "run", whoami); r.code != 0 || !strings.Contains(r.stderr, whoami+": complete, exit code 0") {
		t.Fatalf("pcm run as %q: %s", other, r)
	}
	if uid := waitFile(t, filepath.Join(s.out, "uid"), 1, "the package's user"); uid[0] != strconv.Itoa(os.Geteuid()) {
		t.Errorf("the package ran as uid %s, not as the agent's %d", uid[0], os.Geteuid())
	}
	// A job this computer was not offered is refused, as embedded.
	if r := s.as(other, "pcm", "run", "S0199999"); r.code != 2 || !strings.Contains(r.stderr, "not offered to this computer") {
		t.Errorf("pcm run of a job not offered: %s", r)
	}
	before := s.as("", "pcm", "show")
	if other != "" {
		r := s.as(other, "pcm", "enroll", "--site-share", "file:///tmp", "--name", "EVIL", "--trust", s.fp)
		if r.code != 1 || !strings.Contains(r.stderr, "may enrol this computer; user nobody may not (nothing was changed)") {
			t.Errorf("pcm enroll as nobody: %s", r)
		}
	}
	if after := s.as("", "pcm", "show"); after.code != 0 || after.stdout != before.stdout || !strings.Contains(after.stdout, "S01 (Head Office)") {
		t.Errorf("the enrolment changed:\n%s\nthen\n%s", before, after)
	}

	// A mandatory system background task runs with nobody attached; a
	// watcher sees it run.
	watcher, err := pcmapi.Attach(context.Background(), s.c, version)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	finished := make(chan string, 16)
	watched, subscribed := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		first := true
		watcher.Watch(watchCtx, func(ev client.Event) error {
			if first { // the stream opens with the offers as they are
				first = false
				close(subscribed)
			}
			if ev.Kind == client.EventFinished {
				select {
				case finished <- ev.Job + " " + string(ev.Result.State):
				default:
				}
			}
			return nil
		})
	}()
	select {
	case <-subscribed:
	case <-watched:
		t.Fatal("the watch stream ended before it began")
	}
	bg := s.job("Background", fmt.Sprintf("echo bg >> %s/bg\n", s.out), []string{"--background"}, "--mandatory-after", "now")
	waitFile(t, filepath.Join(s.out, "bg"), 1, "the background job")
	waitJobStatus(t, s.admin, bg, "computer PC001:   complete")
	select {
	case got := <-finished:
		if got != bg+" complete" {
			t.Errorf("the watcher saw %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Error("the watcher saw no run end")
	}
	stopWatch()
	<-watched

	// Killed mid-install, the agent takes the installer along.
	long := s.job("Long", fmt.Sprintf("echo start >> %[1]s/starts\nsleep 300 &\necho $$ $! > %[1]s/pids.tmp\nmv %[1]s/pids.tmp %[1]s/pids\nwait\n", s.out), nil)
	runner := exec.Command(s.bin, "--data", s.c, "pcm", "run", long)
	runner.Stdout, runner.Stderr = io.Discard, io.Discard
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	pids := waitFile(t, filepath.Join(s.out, "pids"), 1, "the installer")
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.exited
	runner.Wait()
	for _, f := range strings.Fields(pids[0]) {
		pid, _ := strconv.Atoi(f)
		waitPidGone(t, pid)
	}
	a = s.startAgent()
	// The restarted agent reports at its first poll.
	waitJobStatus(t, s.admin, long, "computer PC001:   failed, attempts 1, interrupted: the client agent stopped")
	if lines := waitFile(t, filepath.Join(s.out, "starts"), 1, "the installer's starts"); len(lines) != 1 {
		t.Errorf("the installer started %d times", len(lines))
	}

	// Only root unenrols and changes settings: another user gets the
	// sentence and nothing changes.
	before = s.as("", "pcm", "show")
	if other != "" {
		if r := s.as(other, "pcm", "unenroll"); r.code != 1 || !strings.Contains(r.stderr, "may unenrol this computer; user nobody may not (nothing was changed)") {
			t.Errorf("pcm unenroll as nobody: %s", r)
		}
		if r := s.as(other, "pcm", "set", "--slow-link", "--interval", "1h"); r.code != 1 || !strings.Contains(r.stderr, "may change the client agent's settings; user nobody may not (nothing was changed)") {
			t.Errorf("pcm set as nobody: %s", r)
		}
	}
	if after := s.as("", "pcm", "show"); after.code != 0 || after.stdout != before.stdout {
		t.Errorf("the enrolment changed:\n%s\nthen\n%s", before, after)
	}
	if r := s.as("", "pcm", "set", "--defer-for", "2h"); r.code != 0 || r.stdout != "interval:  1s\ndefer-for: 2h0m0s\nslow-link: false\n" {
		t.Errorf("pcm set as root: %s", r)
	}
	if r := s.as("", "pcm", "set", "--interval", "0s"); r.code != 2 || !strings.Contains(r.stderr, "settings not changed: interval 0s must be positive") {
		t.Errorf("pcm set of a bad interval: %s", r)
	}
	if r := s.as("", "pcm", "unenroll"); r.code != 0 || r.stdout != "unenrolled from site S01 (Head Office); PC001 keeps its history and its own key\n" {
		t.Errorf("pcm unenroll as root: %s", r)
	}
	if r := s.as(other, "pcm", "list"); r.code != 2 || !strings.Contains(r.stderr, "not enrolled") {
		t.Errorf("pcm list after unenrol: %s", r)
	}
	if r := s.as(other, "pcm", "history"); r.code != 0 || !strings.Contains(r.stdout, whoami) {
		t.Errorf("pcm history after unenrol: %s", r)
	}

	// SIGTERM stops the agent cleanly: exit 0, the socket gone.
	a.cmd.Process.Signal(syscall.SIGTERM)
	<-a.exited
	if a.err != nil || !strings.Contains(a.stderr.String(), "client agent stopped") {
		t.Errorf("the agent stopped with %v:\n%s", a.err, a.stderr)
	}
	if _, err := os.Lstat(pcmapi.Address(s.c)); !os.IsNotExist(err) {
		t.Errorf("the socket is still there: %v", err)
	}
}

// waitJobStatus runs watchdog cycles until the job's status says want.
func waitJobStatus(t *testing.T, admin *cli, id, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		admin.ok("watchdog", "run-once")
		out := admin.ok("job", "status", id)
		if strings.Contains(out, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s never said %q:\n%s", id, want, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestPcmInstallServicePrint(t *testing.T) {
	c := newCLI(t)
	out := c.ok("pcm", "install-service", "--print")
	abs, _ := filepath.Abs(c.data)
	if !strings.Contains(out, "ExecStart="+smsctlBin+" --data "+abs+" pcm serve\n") || !strings.Contains(out, "OpenSMS client agent") ||
		!strings.Contains(out, "UMask=0022\n") {
		t.Errorf("the unit:\n%s", out)
	}
	if _, err := os.Stat(c.data); err == nil {
		t.Error("--print made the data directory")
	}
}

// waitPidGone waits until process pid has gone (a zombie runs nothing).
func waitPidGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(st), ") Z") {
			return
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d outlived the agent that started it", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
