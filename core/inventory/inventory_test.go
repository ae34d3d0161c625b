package inventory

import (
	"context"
	"slices"
	"testing"

	"opensms/core/model"
)

func TestParseDpkgStatus(t *testing.T) {
	data := []byte(`Package: curl
Status: install ok installed
Priority: optional
Maintainer: Alessandro Ghedini <ghedo@debian.org>
Version: 7.88.1-10+deb12u5
Description: command line tool for transferring data with URL syntax
 curl is a command line tool for transferring data with URL syntax,
 Package: not-a-package

Package: oldthing
Status: deinstall ok config-files
Version: 1.0

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9
`)
	got := parseDpkgStatus(data)
	want := []model.Software{
		{Name: "curl", Version: "7.88.1-10+deb12u5", Publisher: "Alessandro Ghedini <ghedo@debian.org>"},
		{Name: "libc6", Version: "2.36-9"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestParseRPMQuery(t *testing.T) {
	got := parseRPMQuery([]byte("bash\t5.2.26-3.fc40\tFedora Project\ngpg-pubkey\tabc-1\t(none)\n\nbroken line\n"))
	want := []model.Software{
		{Name: "bash", Version: "5.2.26-3.fc40", Publisher: "Fedora Project"},
		{Name: "gpg-pubkey", Version: "abc-1"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestPlistString(t *testing.T) {
	data := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>CFBundleName</key><string>Safari</string>
<key>LSRequiresNativeExecution</key><true/>
<key>CFBundleShortVersionString</key><string> 17.4 </string>
</dict></plist>`)
	if got := plistString(data, "CFBundleShortVersionString"); got != "17.4" {
		t.Fatalf("version %q, want 17.4", got)
	}
	if got := plistString(data, "Missing"); got != "" {
		t.Fatalf("missing key gave %q", got)
	}
	if got := plistString([]byte("bplist00\x00\x01"), "CFBundleName"); got != "" {
		t.Fatalf("binary plist gave %q", got)
	}
}

func FuzzParseDpkgStatus(f *testing.F) {
	f.Add([]byte("Package: a\nStatus: install ok installed\nVersion: 1\n"))
	f.Add([]byte("Package:\n\n\n: x\n \n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, s := range parseDpkgStatus(data) {
			if s.Name == "" {
				t.Fatalf("a package without a name: %+v", s)
			}
		}
	})
}

// TestCollectHere reads this computer: the figures every real computer has
// must be there.
func TestCollectHere(t *testing.T) {
	var warnings []string
	inv := Collect(context.Background(), model.Inventory{Computer: "PC1"}, func(what string, err error) {
		warnings = append(warnings, what+": "+err.Error())
	})
	if inv.Computer != "PC1" {
		t.Fatalf("the engine's fields were lost: %+v", inv)
	}
	if inv.CPUs < 1 || inv.Memory == 0 {
		t.Fatalf("cpus %d, memory %d; warnings %v", inv.CPUs, inv.Memory, warnings)
	}
	if inv.Kernel == "" {
		t.Fatalf("no kernel; warnings %v", warnings)
	}
	if len(inv.Disks) == 0 {
		t.Fatalf("no disk; warnings %v", warnings)
	}
	if !slices.IsSortedFunc(inv.Software, func(a, b model.Software) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		return 0
	}) {
		t.Fatalf("software not sorted")
	}
}
