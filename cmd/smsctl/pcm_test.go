package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/protocol"
	"opensms/storage/clientstore"
)

// The pcm verbs in-process against a site share and a distribution share
// that are local folders, filled as the watchdog would fill them (site.json
// and instructions signed with a test key, an archive made by core/pack).
// The same verbs against real Samba are in pcm_e2e_test.go.

type pcmLocal struct {
	t    *testing.T
	data string // the client's data dir
	site string
	out  string
	fp   string
}

func newPcmLocal(t *testing.T) *pcmLocal {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &pcmLocal{t: t, data: filepath.Join(t.TempDir(), "client"), site: t.TempDir(), out: t.TempDir(),
		fp: protocol.Fingerprint(priv.Public().(ed25519.PublicKey))}
	info, err := protocol.EncodeSite(priv, protocol.SiteInfo{Code: "S01", Name: "Head Office", Published: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(p.site, protocol.SiteFile), info, 0o644)

	src := t.TempDir()
	script := `echo "hello from $OPENSMS_JOB"; echo "$OPENSMS_JOB" >> ` + filepath.Join(p.out, "ran") + `; exit "${1:-0}"` + "\n"
	os.WriteFile(filepath.Join(src, "install.sh"), []byte(script), 0o644)
	dist := t.TempDir()
	os.MkdirAll(filepath.Join(dist, "S0100001"), 0o755)
	st, _, err := pack.PackFile(context.Background(), src, filepath.Join(dist, "S0100001"), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	here := model.Platform(runtime.GOOS + "/" + runtime.GOARCH)
	now := time.Now()
	mk := func(job, command string, automated bool, mandatory time.Time) protocol.Offer {
		return protocol.Offer{Job: job, Package: "S0100001", PackageName: "Hello", PackageVersion: "1",
			Command:    model.CommandLine{Name: "Install", Command: command, Platforms: []model.Platform{here}, Automated: automated, Background: automated, SuccessCodes: []int{0}},
			OfferAfter: now.Add(-time.Hour), MandatoryAfter: mandatory, Deferrals: 1,
			Archive: st.SHA256, ArchiveSize: st.Size, Generation: 1,
			Servers: []protocol.ServerRef{{Name: "S01/DIST1", URL: "file://" + dist}}}
	}
	ins, err := protocol.EncodeInstructions(priv, protocol.Instructions{Site: "S01", Computer: "PC001", Generated: now,
		Sequence: 1, ValidUntil: now.Add(protocol.DefaultValidity), Offers: []protocol.Offer{
			mk("S0100011", "sh install.sh", true, time.Time{}),
			mk("S0100012", "sh install.sh", true, now.Add(-time.Minute)),
			mk("S0100013", "sh install.sh", false, now.Add(-time.Minute)),
			mk("S0100014", "sh install.sh 3", true, time.Time{}),
		}})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(p.site, "instructions"), 0o755)
	os.WriteFile(filepath.Join(p.site, "instructions", "PC001.ins"), ins, 0o644)
	return p
}

// run runs smsctl in-process with the client data dir.
func (p *pcmLocal) run(stdin string, args ...string) result {
	p.t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		open: func(string) (model.Store, error) {
			p.t.Fatal("a pcm verb opened the Administrator's store")
			return nil, nil
		}}
	code := run(context.Background(), append([]string{"--data", p.data}, args...), e)
	return result{code, out.String(), errb.String()}
}

func (p *pcmLocal) want(code int, stdout, stderr string, args ...string) result {
	p.t.Helper()
	r := p.run("", args...)
	if r.code != code || !strings.Contains(r.stdout, stdout) || !strings.Contains(r.stderr, stderr) {
		p.t.Errorf("smsctl %s: want exit %d, stdout with %q, stderr with %q; got %s", strings.Join(args, " "), code, stdout, stderr, r)
	}
	return r
}

func TestPcmVerbs(t *testing.T) {
	p := newPcmLocal(t)
	p.want(2, "", "not enrolled", "pcm", "list")
	p.want(2, "", "not enrolled", "pcm", "run", "--due")
	p.want(2, "", "--site-share is required", "pcm", "enroll")
	p.want(2, p.fp, "--trust", "pcm", "enroll", "--site-share", p.site)
	p.want(2, "", "not the trusted one", "pcm", "enroll", "--site-share", p.site, "--trust", "SHA256:nope")
	p.want(2, "", "local folder", "pcm", "enroll", "--site-share", p.site, "--user", "bob", "--trust", p.fp)
	p.want(2, "", "--name", "pcm", "enroll", "--site-share", p.site, "--name", "bad/name", "--trust", p.fp)
	p.want(1, "", "", "pcm", "enroll", "--site-share", p.site+"/missing", "--trust", p.fp)
	p.want(2, "", "not enrolled", "pcm", "show")

	p.want(0, "S01 (Head Office)", "", "pcm", "enroll", "--site-share", p.site, "--name", "pc001", "--trust", strings.TrimPrefix(p.fp, "SHA256:"))
	p.want(0, p.fp, "", "pcm", "show")
	r := p.want(0, "S0100011", "", "pcm", "list")
	for _, want := range []string{"available", "due", "needs user", "automated", "1 deferrals left"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("pcm list lacks %q:\n%s", want, r.stdout)
		}
	}
	var offers []client.Offer
	if err := json.Unmarshal([]byte(p.want(0, "", "", "pcm", "list", "--json").stdout), &offers); err != nil || len(offers) != 4 {
		t.Fatalf("pcm list --json: %+v, %v", offers, err)
	}

	p.want(2, "", "give one JOBID, or --due", "pcm", "run")
	p.want(2, "", "not both", "pcm", "run", "S0100011", "--due")
	p.want(2, "", "not offered to this computer: 'smsctl pcm list' shows what is offered now", "pcm", "run", "S0199999")
	// --due runs the automated mandatory job only, and says which one waits for a person.
	p.want(0, "hello from S0100012", "S0100013 (Hello) needs user input", "pcm", "run", "--due")
	p.want(0, "nothing is due", "", "pcm", "run", "--due")
	p.want(0, "hello from S0100011", "S0100011: complete, exit code 0", "pcm", "run", "s0100011")
	p.want(1, "", "S0100014: failed, exit code 3", "pcm", "run", "S0100014")

	p.want(2, "", "not mandatory", "pcm", "defer", "S0100011")
	p.want(0, "0 deferrals left", "", "pcm", "defer", "S0100013")
	p.want(2, "", "no deferrals left", "pcm", "defer", "S0100013")

	var hist []client.HistoryEntry
	if err := json.Unmarshal([]byte(p.want(0, "", "", "pcm", "history", "--json").stdout), &hist); err != nil || len(hist) != 3 ||
		hist[0].Job != "S0100014" || hist[0].State != model.TargetFailed || hist[2].Job != "S0100012" {
		t.Fatalf("pcm history --json: %+v, %v", hist, err)
	}
	p.want(0, "S0100014", "", "pcm", "history")
	if b, _ := os.ReadFile(filepath.Join(p.out, "ran")); string(b) != "S0100012\nS0100011\nS0100014\n" {
		t.Errorf("ran %q", b)
	}
	p.want(2, "", "--interval", "pcm", "serve", "--interval", "0s")
}

func TestPcmStoreInUse(t *testing.T) {
	p := newPcmLocal(t)
	st, err := clientstore.Open(p.data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p.want(1, "", "in use by another OpenSMS process", "pcm", "list")
}

func TestPcmDataDirIsNotTheAdministrators(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	t.Setenv("HOME", cfg)
	t.Setenv("AppData", cfg)
	e := &env{}
	got, err := pcmDataDir(e)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := e.DataDir()
	if filepath.Base(got) != "opensms-client" || got == admin {
		t.Errorf("client data dir %s, Administrator's %s", got, admin)
	}
	e.dataDir = "/x"
	if got, _ := pcmDataDir(e); got != "/x" {
		t.Errorf("--data ignored: %s", got)
	}
}

// pcm serve runs the due system background job and stops cleanly when its context
// ends (as SIGTERM ends it in main).
func TestPcmServe(t *testing.T) {
	p := newPcmLocal(t)
	p.want(0, "", "", "pcm", "enroll", "--site-share", p.site, "--name", "PC001", "--trust", p.fp)
	ctx, cancel := context.WithCancel(context.Background())
	ranFile := filepath.Join(p.out, "ran")
	go func() {
		for ctx.Err() == nil {
			if b, _ := os.ReadFile(ranFile); len(b) > 0 {
				time.Sleep(100 * time.Millisecond) // let the run report
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	time.AfterFunc(30*time.Second, cancel)
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	code := run(ctx, []string{"--data", p.data, "pcm", "serve", "--interval", "50ms"}, e)
	if code != 0 {
		t.Fatalf("serve exited %d: %s", code, errb.String())
	}
	if b, _ := os.ReadFile(ranFile); string(b) != "S0100012\n" {
		t.Errorf("the agent ran %q, want only the due system background job", b)
	}
	if !strings.Contains(errb.String(), "agent stopped") {
		t.Errorf("serve log:\n%s", errb.String())
	}
}
