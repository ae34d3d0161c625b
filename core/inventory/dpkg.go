package inventory

import (
	"bufio"
	"bytes"
	"strings"

	"opensms/core/model"
)

// maxSoftware bounds how many programs one inventory lists: the file must
// stay under the size a reader accepts, and no real computer has more.
const maxSoftware = 20000

// parseDpkgStatus reads dpkg's status database (/var/lib/dpkg/status):
// stanzas of "Key: value" lines separated by blank lines, continuation
// lines starting with a space. Only packages whose Status ends in
// "installed" count (a removed package keeps its stanza as
// "deinstall ok config-files").
func parseDpkgStatus(data []byte) []model.Software {
	var out []model.Software
	var cur model.Software
	var status string
	flush := func() {
		if cur.Name != "" && strings.HasSuffix(status, " installed") && len(out) < maxSoftware {
			out = append(out, cur)
		}
		cur, status = model.Software{}, ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue // a continuation of a long field (Description, Conffiles)
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch k {
		case "Package":
			cur.Name = v
		case "Version":
			cur.Version = v
		case "Maintainer":
			cur.Publisher = v
		case "Status":
			status = v
		}
	}
	flush()
	return out
}

// parseRPMQuery reads the output of
// rpm -qa --queryformat '%{NAME}\t%{VERSION}-%{RELEASE}\t%{VENDOR}\n'.
func parseRPMQuery(data []byte) []model.Software {
	var out []model.Software
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Split(strings.TrimRight(line, "\r"), "\t")
		if len(f) < 2 || strings.TrimSpace(f[0]) == "" || len(out) >= maxSoftware {
			continue
		}
		s := model.Software{Name: strings.TrimSpace(f[0]), Version: strings.TrimSpace(f[1])}
		if len(f) > 2 && f[2] != "(none)" {
			s.Publisher = strings.TrimSpace(f[2])
		}
		out = append(out, s)
	}
	return out
}
