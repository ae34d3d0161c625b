package client_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/storage/clientstore"
	"opensms/storage/shares"
)

// TestRunnerProcess is not a test: it is the engine process that
// TestKilledEngineTakesItsInstallerAlong starts (this test binary again)
// and kills. It runs one job and waits.
func TestRunnerProcess(t *testing.T) {
	data, job := os.Getenv("OPENSMS_TEST_RUNNER_DATA"), os.Getenv("OPENSMS_TEST_RUNNER_JOB")
	if data == "" {
		t.Skip("started only by TestKilledEngineTakesItsInstallerAlong")
	}
	st, err := clientstore.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	now, err := time.Parse(time.RFC3339Nano, os.Getenv("OPENSMS_TEST_RUNNER_NOW"))
	if err != nil {
		t.Fatal(err)
	}
	eng, err := client.New(client.Config{DataDir: data, Computer: "PC001", Platform: here, Opener: shares.NewOpener(),
		Now: func() time.Time { return now }}, st)
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Run(context.Background(), job, nil)
	t.Fatalf("the run ended before the runner was killed: %v", err)
}

// An engine killed with SIGKILL while its installer runs takes the
// installer and what the installer started along; its next start reports
// the run as interrupted, to the site too, and runs the job again only when
// it is offered again: the installer never runs twice at once.
func TestKilledEngineTakesItsInstallerAlong(t *testing.T) {
	s := newSite(t)
	starts := filepath.Join(s.out, "starts")
	pids := filepath.Join(s.out, "pids")
	// The installer (its shell) starts a child and waits for it: both must
	// die with the engine.
	a := s.packScript("echo start >> " + starts + "\nsleep 300 &\necho $$ $! > " + pids + ".tmp\nmv " + pids + ".tmp " + pids + "\nwait\n")
	s.distribute(0, a)
	offer := s.offer("S0100010", a, func(o *protocol.Offer) {
		o.MandatoryAfter = s.clock.Now()
		o.Command.Background = true
	})
	s.instruct(offer)
	s.poll()
	s.st.Close()

	runner := exec.Command(os.Args[0], "-test.run=^TestRunnerProcess$", "-test.v")
	runner.Env = append(os.Environ(), "OPENSMS_TEST_RUNNER_DATA="+s.data, "OPENSMS_TEST_RUNNER_JOB=S0100010",
		"OPENSMS_TEST_RUNNER_NOW="+s.clock.Now().Format(time.RFC3339Nano))
	out := &strings.Builder{}
	runner.Stdout, runner.Stderr = out, out
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	var installer, child int
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(pids); err == nil {
			if _, err := fmt.Sscan(string(b), &installer, &child); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			runner.Process.Kill()
			runner.Wait()
			t.Fatalf("the installer did not start; the runner said:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := runner.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	runner.Wait()
	for _, pid := range []int{installer, child} {
		waitPidGone(t, pid)
	}

	s.st = nil
	s.open() // the engine's next start
	hs, err := s.eng.History(context.Background())
	if err != nil || len(hs) != 1 || hs[0].Job != "S0100010" || hs[0].State != model.TargetFailed || !strings.HasPrefix(hs[0].Error, "interrupted:") {
		t.Fatalf("history after the restart: %+v, %v", hs, err)
	}
	if o := find(s.eng.Offers(), "S0100010"); o == nil || o.State != client.OfferFailed {
		t.Fatalf("offer after the restart: %+v", o)
	}
	if hs, err := s.eng.RunDue(context.Background(), true, nil); len(hs) != 0 || err != nil {
		t.Fatalf("the interrupted job ran again by itself: %+v, %v", hs, err)
	}
	s.poll() // sends the status the restart stored
	if st := s.status("S0100010"); st.State != model.TargetFailed || !strings.HasPrefix(st.Error, "interrupted:") || st.Attempts != 1 {
		t.Errorf("status after the restart: %+v", st)
	}
	if b, _ := os.ReadFile(starts); string(b) != "start\n" {
		t.Fatalf("the installer started %q", b)
	}

	// Offered again (a new generation), it runs again, once.
	b := s.packScript("echo start >> " + starts + "\n")
	s.distribute(0, b)
	again := s.offer("S0100010", b, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now(); o.Generation = 2 })
	s.instruct(again)
	s.poll()
	if hs, err := s.eng.RunDue(context.Background(), true, nil); len(hs) != 1 || err != nil {
		t.Fatalf("offered again: %+v, %v", hs, err)
	}
	if b, _ := os.ReadFile(starts); string(b) != "start\nstart\n" {
		t.Fatalf("the installer started %q", b)
	}
}

func waitPidGone(t *testing.T, pid int) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "pid")
	os.WriteFile(f, []byte(strconv.Itoa(pid)), 0o644)
	waitGone(t, f)
}
