// Package sambatest runs a real Samba smbd on a loopback port, with its own
// configuration, state and share folders, for tests and benchmarks.
//
// Start is the testing entry: it skips the test when smbd is not installed
// (and fails it when CI=true), and stops the server when the test ends.
// Launch is the same without testing, for the benchmark program.
//
// The server needs no Unix account for its SMB user: a "username map" maps
// the SMB user onto the Unix user running the test, whose Samba password is
// set in the server's own private passdb. "force user" makes every file the
// test's own, so the test can read and clean up what the server wrote.
package sambatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudsoda/go-smb2"

	"opensms/core/model"
)

// MissingSmbd is the sentence given when smbd is not on PATH.
const MissingSmbd = "smbd not found: install samba to run the SMB tests"

// ErrNoSmbd is returned by Launch when smbd is not installed.
var ErrNoSmbd = errors.New(MissingSmbd)

// DefaultUser is the SMB user when Options.User is empty.
const DefaultUser = "opensms"

// DefaultShare is the one share served when Options.Shares is empty.
const DefaultShare = "DIST1"

// readyTimeout bounds how long Launch and Restart wait for smbd to answer.
const readyTimeout = 10 * time.Second

// Options configure a server. The zero value serves DefaultShare to
// DefaultUser with a random password.
type Options struct {
	// Shares are the share names to serve; each gets an empty folder.
	Shares []string
	// User and Password authenticate to every share. Password defaults to a
	// random one; read it back with Credentials.
	User, Password string
	// Profile hardens the server as an administrator would; see Profiles.
	Profile Profile
	// Global holds extra "key = value" lines for the [global] section,
	// after the profile's.
	Global []string
}

// Profile is a server hardening that OpenSMS must work with.
type Profile int

// The profiles. Each sets [global] lines; asynchronous I/O stays at
// Samba's default (on), as on a server nobody tuned for OpenSMS.
const (
	// Plain is Samba's defaults: signing offered, not required.
	Plain Profile = iota
	// SigningMandatory is "server signing = mandatory", as Windows 11
	// 24H2, Windows Server 2025, every domain controller and Microsoft's
	// baselines require: every message is signed, and the interim answers
	// of asynchronous I/O are not.
	SigningMandatory
	// EncryptionRequired is "smb encrypt = required": SMB 3 only, every
	// message of every session encrypted.
	EncryptionRequired
)

// Profiles are the hardened profiles that the SMB tests run against.
var Profiles = []Profile{SigningMandatory, EncryptionRequired}

// String names the profile by its smb.conf line, for subtest names.
func (p Profile) String() string {
	switch p {
	case SigningMandatory:
		return "server signing = mandatory"
	case EncryptionRequired:
		return "smb encrypt = required"
	}
	return "plain"
}

// global is the profile's [global] lines.
func (p Profile) global() []string {
	switch p {
	case SigningMandatory, EncryptionRequired:
		return []string{p.String()}
	}
	return nil
}

// Server is a running smbd. Its methods are safe for concurrent use.
type Server struct {
	dir     string // configuration and share folders
	runDir  string // sockets and state; short, because of sun_path limits
	ownsRun bool   // runDir is a temp dir Close removes
	conf    string
	logFile string
	port    int
	user    string
	pass    string
	shares  []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start launches a server under t.TempDir and stops it when the test ends.
// Without smbd it skips the test, or fails it when the CI variable is "true".
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	if _, err := exec.LookPath("smbd"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(MissingSmbd)
		}
		t.Skip(MissingSmbd)
	}
	s, err := Launch(t.TempDir(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Launch writes a configuration under dir, starts smbd and waits until it
// answers an SMB session setup. Call Close to stop it.
func Launch(dir string, opt Options) (*Server, error) {
	if _, err := exec.LookPath("smbd"); err != nil {
		return nil, ErrNoSmbd
	}
	if _, err := exec.LookPath("smbpasswd"); err != nil {
		return nil, fmt.Errorf("smbpasswd not found: install samba to run the SMB tests")
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s := &Server{
		dir:    dir,
		user:   opt.User,
		pass:   opt.Password,
		shares: opt.Shares,
	}
	if s.user == "" {
		s.user = DefaultUser
	}
	if s.pass == "" {
		s.pass = randomHex(12)
	}
	if len(s.shares) == 0 {
		s.shares = []string{DefaultShare}
	}
	for _, sh := range s.shares {
		if sh == "" || strings.ContainsAny(sh, `[]/\`) || strings.EqualFold(sh, "global") {
			return nil, fmt.Errorf("sambatest: share name %q is not usable", sh)
		}
	}
	// Samba's messaging and ncalrpc sockets live below the lock and ncalrpc
	// directories; a long t.TempDir path would exceed the 108-byte socket
	// path limit, so the run state goes into a short temp dir.
	s.runDir = filepath.Join(dir, "run")
	if len(s.runDir) > 50 {
		if s.runDir, err = os.MkdirTemp("", "smbt"); err != nil {
			return nil, err
		}
		s.ownsRun = true
	}
	if err := s.writeConfig(append(opt.Profile.global(), opt.Global...)); err != nil {
		s.removeRun()
		return nil, err
	}
	if err := s.addUser(); err != nil {
		s.removeRun()
		return nil, err
	}
	if err := s.Restart(); err != nil {
		s.removeRun()
		return nil, err
	}
	return s, nil
}

func (s *Server) writeConfig(extra []string) error {
	unixUser, err := user.Current()
	if err != nil {
		return fmt.Errorf("sambatest: who am I: %w", err)
	}
	for _, d := range []string{"private", "lock", "state", "cache", "pid", "ncalrpc"} {
		if err := os.MkdirAll(filepath.Join(s.runDir, d), 0o700); err != nil {
			return err
		}
	}
	for _, sh := range s.shares {
		if err := os.MkdirAll(s.Dir(sh), 0o755); err != nil {
			return err
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.port = port
	s.conf = filepath.Join(s.dir, "smb.conf")
	s.logFile = filepath.Join(s.dir, "log.smbd")
	mapFile := filepath.Join(s.dir, "users.map")
	// "unix = smb": the SMB user logs in as the Unix user running the test.
	if err := os.WriteFile(mapFile, []byte(unixUser.Username+" = "+s.user+"\n"), 0o600); err != nil {
		return err
	}
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "\t%s = %s\n", k, v) }
	b.WriteString("[global]\n")
	line("server role", "standalone server")
	line("smb ports", fmt.Sprint(port))
	line("interfaces", "127.0.0.1")
	line("bind interfaces only", "yes")
	line("private dir", filepath.Join(s.runDir, "private"))
	line("lock directory", filepath.Join(s.runDir, "lock"))
	line("state directory", filepath.Join(s.runDir, "state"))
	line("cache directory", filepath.Join(s.runDir, "cache"))
	line("pid directory", filepath.Join(s.runDir, "pid"))
	line("ncalrpc dir", filepath.Join(s.runDir, "ncalrpc"))
	line("log file", s.logFile)
	line("max log size", "0")
	line("log level", "1")
	line("passdb backend", "tdbsam")
	line("username map", mapFile)
	line("map to guest", "never")
	line("server min protocol", "SMB2_02")
	line("disable spoolss", "yes")
	line("load printers", "no")
	line("printcap name", "/dev/null")
	line("disable netbios", "yes")
	line("obey pam restrictions", "no")
	line("unix password sync", "no")
	for _, g := range extra {
		b.WriteString("\t" + g + "\n")
	}
	for _, sh := range s.shares {
		fmt.Fprintf(&b, "[%s]\n", sh)
		line("path", s.Dir(sh))
		line("read only", "no")
		line("browseable", "yes")
		// valid users names the Unix user, after the username map.
		line("valid users", unixUser.Username)
		line("force user", unixUser.Username)
		line("create mask", "0644")
		line("directory mask", "0755")
	}
	return os.WriteFile(s.conf, []byte(b.String()), 0o600)
}

// addUser sets the Samba password of the Unix user the SMB user maps to.
func (s *Server) addUser() error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	cmd := exec.Command("smbpasswd", "-c", s.conf, "-s", "-a", u.Username)
	cmd.Stdin = strings.NewReader(s.pass + "\n" + s.pass + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("sambatest: smbpasswd -a %s: %v: %s", u.Username, err, bytes.TrimSpace(out))
	}
	return nil
}

// Restart starts smbd again on the same port and configuration, stopping it
// first if it runs. Fault tests use Stop and Restart to cut the server off
// in the middle of a transfer.
func (s *Server) Restart() error {
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command("smbd", "-F", "--no-process-group", "-s", s.conf)
	cmd.SysProcAttr = procAttr()
	out := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sambatest: starting smbd: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	if err := s.waitReady(done); err != nil {
		killGroup(cmd, done)
		s.cmd, s.done = nil, nil
		return fmt.Errorf("sambatest: %v\nsmbd output: %s\nlog tail:\n%s", err, out.String(), s.LogTail(20))
	}
	return nil
}

// waitReady polls the port until a session setup with the test user works.
func (s *Server) waitReady(exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	var last error
	for {
		select {
		case <-exited:
			return fmt.Errorf("smbd exited while starting on port %d", s.port)
		case <-ctx.Done():
			return fmt.Errorf("smbd did not answer on 127.0.0.1:%d within %v: %v", s.port, readyTimeout, last)
		case <-time.After(50 * time.Millisecond):
		}
		if last = s.probe(ctx); last == nil {
			return nil
		}
	}
}

// probe negotiates and logs on, which proves smbd serves SMB2 and knows the user.
func (s *Server) probe(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(pctx, "tcp", s.addr())
	if err != nil {
		return err
	}
	defer conn.Close()
	dl := &smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: s.user, Password: s.pass}}
	sess, err := dl.DialConn(pctx, conn, s.addr())
	if err != nil {
		return fmt.Errorf("session setup: %w", err)
	}
	defer sess.Logoff()
	// Right after a restart smbd can log a user on a moment before it
	// connects a share (it answered a tree connect with NO_MEMORY under
	// load): ready means a share mounts too.
	if len(s.shares) > 0 {
		sh, err := sess.WithContext(pctx).Mount(s.shares[0])
		if err != nil {
			return fmt.Errorf("mounting %s: %w", s.shares[0], err)
		}
		_ = sh.Umount()
	}
	return nil
}

// Stop kills smbd and all its children and waits for them. A stopped
// server can be started again with Restart. Stop is safe to call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	killGroup(s.cmd, s.done)
	s.cmd, s.done = nil, nil
}

// Close stops the server and removes the run state kept outside dir.
func (s *Server) Close() {
	s.Stop()
	s.removeRun()
}

func (s *Server) removeRun() {
	if s.ownsRun {
		_ = os.RemoveAll(s.runDir)
	}
}

// Running reports whether smbd is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Port is the loopback TCP port smbd listens on.
func (s *Server) Port() int { return s.port }

// ConfPath is the smb.conf the server runs with.
func (s *Server) ConfPath() string { return s.conf }

// LogPath is smbd's log file.
func (s *Server) LogPath() string { return s.logFile }

// Dir is the local folder behind share; tests check what arrived there.
func (s *Server) Dir(share string) string { return filepath.Join(s.dir, "shares", share) }

// Location is the share's location as the SMB user sees it.
func (s *Server) Location(share string) model.Location {
	return model.Location{Scheme: "smb", User: s.user, Host: "127.0.0.1", Port: s.port, Share: share}
}

// URL is smb://USER@127.0.0.1:PORT/SHARE.
func (s *Server) URL(share string) string { return s.Location(share).String() }

// Credentials are the user and password every share accepts.
func (s *Server) Credentials() model.Credentials {
	return model.Credentials{User: s.user, Password: model.NewSecret(s.pass)}
}

// LogTail returns the last n lines of smbd's log, for failure messages.
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.logFile)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (s *Server) addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("sambatest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last 4 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - 4096; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
