package clientstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
)

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRoundTripAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if _, err := s.Enrollment(ctx); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("empty store: enrolment err %v", err)
	}
	if _, err := s.Run(ctx, "S0100001"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("empty store: run err %v", err)
	}
	enr := client.Enrollment{
		SiteShare:   `\\site\SMS_SITE`,
		Credentials: model.Credentials{Domain: "LAB", User: "pcm", Password: model.NewSecret("hunter2-very-secret")},
		SiteCode:    "S01", SiteName: "Lab", PublicKey: []byte{1, 2, 3}, Fingerprint: "SHA256:x",
		Computer: "PC001", Enrolled: time.Unix(1700000000, 0).UTC(),
	}
	if err := s.PutEnrollment(ctx, enr); err != nil {
		t.Fatal(err)
	}
	code := 3010
	pending := protocol.Status{Job: "S0100001", Computer: "PC001", State: model.TargetComplete, ExitCode: &code}
	runs := []client.RunRecord{
		{Job: "S0100001", Generation: 2, Ran: true, State: model.TargetComplete, Attempts: 1, Pending: &pending},
		{Job: "S0100002", Generation: 1, DeferralsUsed: 2, DeferredUntil: time.Unix(1700003600, 0).UTC()},
	}
	for _, r := range runs {
		if err := s.PutRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		h := client.HistoryEntry{Job: "S010000" + string(rune('1'+i)), Started: time.Unix(1700000000+int64(i), 0).UTC(), State: model.TargetComplete}
		if err := s.AddHistory(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	d := client.Download{Package: "S0100001", Archive: "ab", Size: 10, Done: 4, Server: "S01/DIST1"}
	if err := s.PutDownload(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Nothing in the database files holds the password in clear.
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte("hunter2-very-secret")) {
				t.Errorf("%s holds the password in clear", p)
			}
		}
		return nil
	})

	s = open(t, dir)
	defer s.Close()
	got, err := s.Enrollment(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Credentials.Password.Reveal() != "hunter2-very-secret" || got.Computer != "PC001" || got.SiteShare != enr.SiteShare || !bytes.Equal(got.PublicKey, enr.PublicKey) {
		t.Errorf("enrolment came back as %+v (password %q)", got, got.Credentials.Password.Reveal())
	}
	r, err := s.Run(ctx, "S0100001")
	if err != nil || r.Generation != 2 || !r.Ran || r.Pending == nil || *r.Pending.ExitCode != 3010 {
		t.Errorf("run: %+v, %v", r, err)
	}
	all, err := s.ListRuns(ctx)
	if err != nil || len(all) != 2 || all[1].DeferralsUsed != 2 {
		t.Errorf("runs: %+v, %v", all, err)
	}
	hist, err := s.History(ctx)
	if err != nil || len(hist) != 3 || hist[0].Job != "S0100003" || hist[2].Job != "S0100001" {
		t.Errorf("history not newest first: %+v, %v", hist, err)
	}
	dl, err := s.ListDownloads(ctx)
	if err != nil || len(dl) != 1 || dl[0] != d {
		t.Errorf("downloads: %+v, %v", dl, err)
	}
	if err := s.DeleteDownload(ctx, d.Package, d.Archive); err != nil {
		t.Fatal(err)
	}
	if dl, _ := s.ListDownloads(ctx); len(dl) != 0 {
		t.Errorf("download not deleted: %+v", dl)
	}

	if got, err := s.Instructions(ctx); err != nil || got != nil {
		t.Errorf("no instructions kept yet: %q, %v", got, err)
	}
	if err := s.PutInstructions(ctx, []byte("signed")); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Instructions(ctx); err != nil || string(got) != "signed" {
		t.Errorf("instructions: %q, %v", got, err)
	}
	if err := s.PutInstructions(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Instructions(ctx); got != nil {
		t.Errorf("instructions not cleared: %q", got)
	}

	// Enrolling without a password removes the old one.
	enr.Credentials = model.Credentials{}
	if err := s.PutEnrollment(ctx, enr); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Enrollment(ctx); !got.Credentials.Password.IsZero() {
		t.Error("old password survived an enrolment without one")
	}
}

func TestHistoryIsBounded(t *testing.T) {
	ctx := context.Background()
	s := open(t, t.TempDir())
	defer s.Close()
	for i := range MaxHistory + 5 {
		if err := s.AddHistory(ctx, client.HistoryEntry{Job: "J", Started: time.Unix(int64(i), 0)}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := s.History(ctx)
	if err != nil || len(h) != MaxHistory || h[0].Started.Unix() != MaxHistory+4 {
		t.Fatalf("kept %d, newest %v, %v", len(h), h[0].Started, err)
	}
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	defer s.Close()
	_, err := Open(dir)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
}

func TestDamagedKeyIsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}
