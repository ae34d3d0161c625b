//go:build !windows

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The Makefile's stamp reaches the binary: -X main.version is what
// --version prints, and what a plain build says is "dev".
func TestVersionIsStampedByTheLinker(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "smsctl")
	build := exec.Command("go", "build", "-ldflags=-X=main.version=v9.8-stamped", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building a stamped smsctl: %v\n%s", err, out)
	}
	data := filepath.Join(t.TempDir(), "data")
	for bin, want := range map[string]string{bin: "v9.8-stamped", smsctlBin: "dev"} {
		for _, args := range [][]string{{"--version"}, {"version"}} {
			out, err := exec.Command(bin, append([]string{"--data", data}, args...)...).CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "smsctl: "+want {
				t.Errorf("%s %v: %q, %v; want smsctl: %s", filepath.Base(filepath.Dir(bin)), args, out, err, want)
			}
		}
	}
}

// smsctl version names the site service's version too, even when it is
// another (which is when one asks).
func TestVersionNamesTheSiteServiceEvenAnother(t *testing.T) {
	c := newCLI(t)
	r := runHere(&env{version: "9.9-other"}, "--data", c.data, "--json", "version")
	var v versions
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v != (versions{Smsctl: "9.9-other"}) {
		t.Fatalf("no service: %s", r)
	}
	startService(t, c.data, "--interval", "1h")
	r = runHere(&env{version: "9.9-other"}, "--data", c.data, "--json", "version")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &v) != nil || v != (versions{Smsctl: "9.9-other", SiteService: version}) {
		t.Fatalf("another version's service: %s", r)
	}
	r = runHere(&env{}, "--data", c.data, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "site service: "+version+" (at "+c.data+", since ") {
		t.Fatalf("the service's version as text: %s", r)
	}
}
