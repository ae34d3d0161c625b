//go:build !windows

package client

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
)

// systemVersion returns the operating system's name and version: the
// os-release PRETTY_NAME where there is one (Linux), else `uname -sr`.
func systemVersion() string {
	for _, f := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if v := prettyName(f); v != "" {
			return v
		}
	}
	out, err := exec.Command("uname", "-sr").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// prettyName reads PRETTY_NAME from an os-release file.
func prettyName(file string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && strings.TrimSpace(k) == "PRETTY_NAME" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}
