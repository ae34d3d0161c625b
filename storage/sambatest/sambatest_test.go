package sambatest_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudsoda/go-smb2"

	"opensms/storage/sambatest"
)

// session logs on to s and mounts share, closing both when the test ends.
func mount(t *testing.T, s *sambatest.Server, share, password string) (*smb2.Share, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Location(share).Addr())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	cred := s.Credentials()
	sess, err := (&smb2.Dialer{Initiator: &smb2.NTLMInitiator{User: cred.User, Password: password}}).DialConn(ctx, conn, s.Location(share).Addr())
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = sess.Logoff() })
	return sess.Mount(share)
}

func TestServeAndRestart(t *testing.T) {
	s := sambatest.Start(t, sambatest.Options{Shares: []string{"DIST1", "SITE"}})
	if got := s.URL("DIST1"); !strings.HasPrefix(got, "smb://opensms@127.0.0.1:") || !strings.HasSuffix(got, "/DIST1") {
		t.Errorf("URL = %q", got)
	}
	sh, err := mount(t, s, "SITE", s.Credentials().Password.Reveal())
	if err != nil {
		t.Fatalf("mount SITE: %v\n%s", err, s.LogTail(10))
	}
	if err := sh.WriteFile("hello.txt", []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(s.Dir("SITE"), "hello.txt"))
	if err != nil || string(got) != "hi" {
		t.Fatalf("file on disk = %q, %v", got, err)
	}

	s.Stop()
	if s.Running() {
		t.Fatal("Running after Stop")
	}
	if _, err := sh.Stat("hello.txt"); err == nil {
		t.Fatal("Stat worked with smbd stopped")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	sh2, err := mount(t, s, "DIST1", s.Credentials().Password.Reveal())
	if err != nil {
		t.Fatalf("mount after restart: %v", err)
	}
	if _, err := sh2.ReadDir("."); err != nil {
		t.Fatal(err)
	}
}

func TestWrongPasswordRefused(t *testing.T) {
	s := sambatest.Start(t, sambatest.Options{User: "alice", Password: "right horse"})
	if _, err := mount(t, s, "DIST1", "wrong"); err == nil {
		t.Fatal("logged on with a wrong password")
	}
	if _, err := mount(t, s, "DIST1", "right horse"); err != nil {
		t.Fatalf("right password: %v", err)
	}
}

func TestLaunchWithoutTesting(t *testing.T) {
	if _, err := os.Stat("/nonexistent"); err == nil {
		t.Skip()
	}
	sambatest.Start(t, sambatest.Options{}) // skips without smbd
	s, err := sambatest.Launch(t.TempDir(), sambatest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close()
	if s.Running() {
		t.Fatal("Running after Close")
	}
}
