package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/share"
	"opensms/storage/sambatest"
	"opensms/storage/shares"
)

// env is what every row shares: a Samba with four distribution shares, the
// tree to pack, and smbclient's credentials file.
type env struct {
	t       *testing.T
	dir     string
	srv     *sambatest.Server
	tree    string
	srcSize int64
	auth    string // smbclient -A file
	runs    int
	archive string // the packed tree, made by the pack row
	wire    string // wireNote's finding
	port    int
	cred    model.Credentials
}

// url is the smb:// location of a share on the bench's Samba.
func (e *env) url(shareName string) string {
	return fmt.Sprintf("smb://%s@127.0.0.1:%d/%s", e.cred.User, e.port, shareName)
}

// smbclientArgs pin smbclient to what OpenSMS speaks by default (see
// smbfs.Options.Dialect): SMB 3.1.1, signing only where the server
// requires it (the bench's Samba does not), no encryption asked.
// smbclient alone would take SMB 3.1.1 too, but says nothing of it.
func (e *env) smbclientArgs(share string) []string {
	return []string{"//127.0.0.1/" + share, "-p", strconv.Itoa(e.port), "-A", e.auth,
		"-m", "SMB3_11", "--option=client min protocol=SMB3_11", "--option=client signing=if_required",
		"--option=client smb encrypt=if_required"}
}

func (e *env) smbclient(share, command string) *exec.Cmd {
	return exec.Command("smbclient", append(e.smbclientArgs(share), "-c", command)...)
}

// smbclientShell is smbclientArgs quoted for sh.
func (e *env) smbclientShell(share string) string {
	var q []string
	for _, a := range e.smbclientArgs(share) {
		q = append(q, "'"+a+"'")
	}
	return "smbclient " + strings.Join(q, " ")
}

// wireNote says what smbstatus shows for an OpenSMS session and an
// smbclient session held open side by side: dialect, signing, encryption.
// The rows that move bytes over SMB carry it, so that a difference in
// either shows in the row rather than in its speed.
func (e *env) wireNote() string {
	if e.wire != "" {
		return e.wire
	}
	fsys := e.open("DIST1")
	defer fsys.Close()
	cmd := exec.Command("smbclient", e.smbclientArgs("DIST1")...)
	in, err := cmd.StdinPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting smbclient: %v", err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	var sessions []string
	for try := 0; try < 50 && len(sessions) < 2; try++ {
		time.Sleep(100 * time.Millisecond)
		out, err := exec.Command("smbstatus", "-s", e.srv.ConfPath(), "-b").CombinedOutput()
		if err != nil {
			e.t.Fatalf("smbstatus: %v: %s", err, out)
		}
		sessions = nil
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) >= 7 && strings.HasPrefix(f[len(f)-3], "SMB") {
				sessions = append(sessions, strings.Join(f[len(f)-3:], " "))
			}
		}
	}
	if len(sessions) < 2 {
		e.t.Fatalf("smbstatus showed %d sessions, want OpenSMS's and smbclient's", len(sessions))
	}
	// Signing reads "partial(AES-128-CMAC)" when only the session setup
	// is signed, as SMB 3.1.1 always does; the algorithm of that one
	// message (go-smb2 CMAC, smbclient GMAC) costs nothing per byte, so
	// the terms compared are the dialect, the encryption and whether the
	// data is signed.
	terms := func(s string) string { t, _, _ := strings.Cut(s, "("); return t }
	if terms(sessions[0]) != terms(sessions[1]) {
		e.t.Fatalf("OpenSMS and smbclient are not on the same terms: smbstatus shows %q", sessions)
	}
	e.wire = fmt.Sprintf("smbstatus (dialect, encryption, signing): %s and %s", sessions[0], sessions[1])
	return e.wire
}

func (e *env) sh(script string) error {
	cmd := exec.Command("sh", "-c", script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("running %q: %v: %s", script, err, out)
	}
	return nil
}

func (e *env) open(shareName string) share.FS {
	fsys, err := shares.Open(context.Background(), e.url(shareName), e.cred)
	if err != nil {
		e.t.Fatalf("opening %s: %v", shareName, err)
	}
	return fsys
}

// put pushes one local file to a share the way the watchdog does.
func (e *env) put(shareName, local, name string) int64 {
	fsys := e.open(shareName)
	defer fsys.Close()
	f, err := os.Open(local)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	if _, err := share.PutAtomic(context.Background(), fsys, name, f, fi.Size(), share.PutOptions{}); err != nil {
		e.t.Fatalf("pushing %s to %s: %v", local, shareName, err)
	}
	return fi.Size()
}

// timed runs f and measures its wall-clock time and its CPU time (cpu_s
// in the row's extras: on a loaded machine the fairer comparison).
func timed(f func() (int64, map[string]float64)) sample {
	runtime.GC()
	cpu := cpuTime()
	start := time.Now()
	n, extra := f()
	d := time.Since(start)
	if extra == nil {
		extra = map[string]float64{}
	}
	extra["cpu_s"] = (cpuTime() - cpu).Seconds()
	return sample{d: d, bytes: n, extra: extra}
}

func fileSize(t *testing.T, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestSideBySide(t *testing.T) {
	if os.Getenv("OPENSMS_BENCH") != "1" {
		t.Skip("the side-by-side benchmark runs with `make bench` (OPENSMS_BENCH=1)")
	}
	for _, tool := range []string{"tar", "zstd", "smbclient"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: make bench needs it (make deps installs it)", tool)
		}
	}
	runs := 5
	if v, err := strconv.Atoi(os.Getenv("BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	tree := os.Getenv("BENCH_TREE")
	if tree == "" {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			t.Fatalf("finding the Go distribution to pack (go env GOROOT): %v", err)
		}
		tree = strings.TrimSpace(string(out))
	}
	dir := t.TempDir()
	srv := sambatest.Start(t, sambatest.Options{Shares: []string{"SITE", "SITE2", "SITE3", "DIST1", "DIST2", "DIST3", "DIST4", "DIST5"}})
	cred := srv.Credentials()
	auth := filepath.Join(dir, "smbclient.auth")
	if err := os.WriteFile(auth, []byte("username = "+cred.User+"\npassword = "+cred.Password.Reveal()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, srv: srv, tree: tree, auth: auth, runs: runs, port: srv.Port(), cred: cred}
	_, _, e.srcSize, _ = pack.SourceDigest(context.Background(), tree)

	rep := report{Runs: runs, Load: loadAverage(), Machine: fmt.Sprintf("%s/%s, %d cores, tree %s (%.0f MB)", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), tree, float64(e.srcSize)/1e6)}
	rows := []func(*env) []row{packRows, pushRows, fanoutRows, resendRows, clientRows, scaleRows, memoryRows, attachRows, groupRows}
	if only := os.Getenv("BENCH_ONLY"); only != "" {
		rows = nil
		for _, f := range []struct {
			name string
			f    func(*env) []row
		}{{"pack", packRows}, {"push", pushRows}, {"fanout", fanoutRows}, {"resend", resendRows}, {"client", clientRows}, {"scale", scaleRows}, {"memory", memoryRows}, {"attach", attachRows}, {"groups", groupRows}} {
			if contains(only, f.name) {
				rows = append(rows, f.f)
			}
		}
	}
	for _, f := range rows {
		rep.Rows = append(rep.Rows, f(e)...)
	}
	rep.Load += " at the start, " + loadAverage() + " at the end"
	printReport(os.Stdout, rep)
	if p := os.Getenv("BENCH_JSON"); p != "" {
		writeJSON(t, p, rep)
	}
	if miss := missed(rep); len(miss) > 0 && os.Getenv("BENCH_STRICT") == "1" {
		t.Errorf("BENCH_STRICT=1 and %d targets missed: %s", len(miss), strings.Join(miss, "; "))
	}
}

func contains(list, name string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

// packRows: OpenSMS's packer vs tar | zstd -3 -T0, and the archive push vs
// smbclient put, and the two together.
func packRows(e *env) []row {
	t := e.t
	out := filepath.Join(e.dir, "pack")
	os.MkdirAll(out, 0o755)
	var archive string
	ours := func() sample {
		os.RemoveAll(out)
		os.MkdirAll(out, 0o755)
		return timed(func() (int64, map[string]float64) {
			st, p, err := pack.PackFile(context.Background(), e.tree, out, pack.Options{})
			if err != nil {
				t.Fatalf("packing %s: %v", e.tree, err)
			}
			archive = p
			return st.SourceBytes, map[string]float64{"ratio": float64(st.SourceBytes) / float64(st.Size)}
		})
	}
	tarOut := filepath.Join(e.dir, "tar.tzst")
	theirs := func() sample {
		os.Remove(tarOut) // untimed, as ours is: neither side overwrites
		return timed(func() (int64, map[string]float64) {
			if err := e.sh(fmt.Sprintf("tar -c -C %q . | zstd -3 -T0 -q -f -o %q", e.tree, tarOut)); err != nil {
				t.Fatal(err)
			}
			return e.srcSize, map[string]float64{"ratio": float64(e.srcSize) / float64(fileSize(t, tarOut))}
		})
	}
	r := pair(t, e.runs, "pack", "pack.PackFile", "tar -c | zstd -3 -T0", ours, theirs)
	r.target("≥1.0x at ≥ zstd's ratio", r.Ratio >= 1.0 && r.Extra["ours_ratio"] >= r.Extra["theirs_ratio"])
	e.archive = archive
	return []row{r}
}

// pushRows: one archive to one share vs smbclient put, and pack + push of
// the tree vs tar | zstd | smbclient put.
func pushRows(e *env) []row {
	t := e.t
	if e.archive == "" {
		packRows(e)
	}
	size := fileSize(t, e.archive)
	n := 0
	ours := func() sample {
		n++
		name := fmt.Sprintf("S0100001/ours-%d.tzst", n)
		s := timed(func() (int64, map[string]float64) { return e.put("DIST1", e.archive, name), nil })
		os.Remove(filepath.Join(e.srv.Dir("DIST1"), name))
		return s
	}
	theirs := func() sample {
		n++
		name := fmt.Sprintf("theirs-%d.tzst", n)
		s := timed(func() (int64, map[string]float64) {
			if out, err := e.smbclient("DIST1", fmt.Sprintf("put %s %s", e.archive, name)).CombinedOutput(); err != nil {
				t.Fatalf("smbclient put: %v: %s", err, out)
			}
			return size, nil
		})
		os.Remove(filepath.Join(e.srv.Dir("DIST1"), name))
		return s
	}
	push := pair(t, e.runs, "push", "share.PutAtomic over go-smb2", "smbclient put", ours, theirs)
	push.Note = fmt.Sprintf("archive %.1f MB; %s", float64(size)/1e6, e.wireNote())
	push.target("≥1.0x", push.Ratio >= 1.0)

	out := filepath.Join(e.dir, "packpush")
	ours2 := func() sample {
		os.RemoveAll(out)
		os.MkdirAll(out, 0o755)
		n++
		var name string
		s := timed(func() (int64, map[string]float64) {
			// As the watchdog's Send phase does for its first server: the
			// push reads the archive while it is written.
			fsys := e.open("DIST1")
			defer fsys.Close()
			tee := &streamTee{fsys: fsys, dir: "S0100001", n: n}
			st, _, err := pack.PackFile(context.Background(), e.tree, out, pack.Options{Tee: tee})
			if err != nil {
				t.Fatal(err)
			}
			if name = tee.name; name == "" || tee.err != nil {
				t.Fatalf("streaming to DIST1: %v", tee.err)
			}
			return st.SourceBytes, nil
		})
		os.Remove(filepath.Join(e.srv.Dir("DIST1"), name))
		return s
	}
	theirs2 := func() sample {
		n++
		name := fmt.Sprintf("chain-%d.tzst", n)
		s := timed(func() (int64, map[string]float64) {
			script := fmt.Sprintf("tar -c -C %q . | zstd -3 -T0 -q | %s -c 'put /dev/stdin %s'", e.tree, e.smbclientShell("DIST1"), name)
			if err := e.sh(script); err != nil {
				t.Fatal(err)
			}
			return e.srcSize, nil
		})
		os.Remove(filepath.Join(e.srv.Dir("DIST1"), name))
		return s
	}
	pp := pair(t, e.runs, "pack+push", "PackFile with the push as its Tee (share.Stream)", "tar | zstd -3 -T0 | smbclient put /dev/stdin", ours2, theirs2)
	pp.Note = e.wireNote()
	pp.target("≥1.0x", pp.Ratio >= 1.0)
	return []row{push, pp, runOnceRow(e, theirs2)}
}

// streamTee is the watchdog's first push reduced to what the bench
// needs: a pack.Tee writing to a share.Stream.
type streamTee struct {
	fsys   share.FS
	dir    string
	n      int
	stream *share.Stream
	err    error
	name   string // set by End
}

func (s *streamTee) End(st pack.Stats) {
	name := fmt.Sprintf("%s/%s-%d.tzst", s.dir, st.SHA256, s.n)
	if _, s.err = s.stream.Finish(name); s.err == nil {
		s.name = name
	}
}

func (s *streamTee) Begin() (io.Writer, error) {
	if s.stream != nil {
		s.stream.Abort()
	}
	s.stream, s.err = share.StartStream(s.fsys, s.dir, "stream.tzst", share.PutOptions{})
	if s.err != nil {
		return nil, s.err
	}
	return s, nil
}

func (s *streamTee) Write(p []byte) (int, error) {
	n, err := s.stream.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}
