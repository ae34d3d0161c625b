package detect

import (
	"bufio"
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"opensms/core/model"
)

// versionOps are the comparisons a version rule's value may start with;
// longer ones first so that ">=" is not read as ">".
var versionOps = []string{">=", "<=", "!=", "=", ">", "<"}

// splitVersionRule parses a version rule's value: an optional comparison
// (=, !=, <, <=, >, >=) then a version. Without one the versions must be
// equal, as SMS 1.x's [File N] Version= meant.
func splitVersionRule(v string) (op, want string) {
	v = strings.TrimSpace(v)
	for _, o := range versionOps {
		if rest, ok := strings.CutPrefix(v, o); ok {
			return o, strings.TrimSpace(rest)
		}
	}
	return "=", v
}

var opWords = map[string]string{
	"=": "", "!=": "other than ", "<": "below ", "<=": "at most ", ">": "above ", ">=": "at least ",
}

func checkVersion(e *Evaluator, r model.DetectionRule) Result {
	op, want := splitVersionRule(r.Value)
	if want == "" {
		return notApplicable("the version rule for %s names no version", r.Path)
	}
	expected := "expected version " + opWords[op] + want
	path, name, res := e.target(r)
	if res != nil {
		return *res
	}
	f, _, res := openFile(path, name)
	if res != nil {
		res.Reason += "; " + expected
		return *res
	}
	defer f.Close()
	got, isPE, err := peFileVersion(f)
	switch {
	case err != nil:
		return notHeld("%s is a Windows program whose version cannot be read (%v); %s", name, err, expected)
	case isPE && got == "":
		return notHeld("%s is a Windows program without a version resource; %s", name, expected)
	case !isPE:
		got, err = versionString(f)
		if err != nil {
			return notHeld("%s cannot be read: %v", name, unwrapPath(err))
		}
		if got == "" {
			return notHeld("%s holds no version string on its first line; %s", name, expected)
		}
	}
	c := compareVersions(got, want)
	ok := false
	switch op {
	case "=":
		ok = c == 0
	case "!=":
		ok = c != 0
	case "<":
		ok = c < 0
	case "<=":
		ok = c <= 0
	case ">":
		ok = c > 0
	case ">=":
		ok = c >= 0
	}
	if !ok {
		return notHeld("%s has version %s, %s", name, got, expected)
	}
	return holds("%s has version %s", name, got)
}

// versionString reads a version from a file that is not a Windows program:
// its first non-empty line (a VERSION file, a .version stamp), if that line
// is short and printable.
func versionString(f io.ReadSeeker) (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(io.LimitReader(f, 4096))
	sc.Buffer(make([]byte, 0, 4096), 4096)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" {
			continue
		}
		if len(line) > 128 || strings.IndexFunc(line, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			return "", nil
		}
		return line, nil
	}
	if err := sc.Err(); err != nil && !errors.Is(err, bufio.ErrTooLong) {
		return "", err
	}
	return "", nil
}

// Windows resource layout (winnt.h, "PE Format" .rsrc section).
const (
	resourceDirEntry = 2          // IMAGE_DIRECTORY_ENTRY_RESOURCE
	rtVersion        = 16         // RT_VERSION
	fixedFileInfoSig = 0xFEEF04BD // VS_FIXEDFILEINFO.dwSignature
	maxVersionRes    = 64 << 10   // a version resource is a few KiB
	maxDirEntries    = 4096
)

// peFileVersion reads the file version of a Windows program or library
// from its VS_FIXEDFILEINFO (the "File version" Explorer shows), with
// debug/pe so that it works on every platform. isPE is false when r is not
// a PE file; version is empty when it is one without a version resource.
func peFileVersion(r io.ReaderAt) (version string, isPE bool, err error) {
	f, err := pe.NewFile(r)
	if err != nil {
		return "", false, nil
	}
	defer f.Close()
	var dir pe.DataDirectory
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		if oh.NumberOfRvaAndSizes > resourceDirEntry {
			dir = oh.DataDirectory[resourceDirEntry]
		}
	case *pe.OptionalHeader64:
		if oh.NumberOfRvaAndSizes > resourceDirEntry {
			dir = oh.DataDirectory[resourceDirEntry]
		}
	}
	if dir.VirtualAddress == 0 || dir.Size == 0 {
		return "", true, nil
	}
	rsrc := sectionAt(f, dir.VirtualAddress)
	if rsrc == nil {
		return "", true, fmt.Errorf("the resource directory at %#x lies in no section", dir.VirtualAddress)
	}
	base := dir.VirtualAddress - rsrc.VirtualAddress
	// Type RT_VERSION, then the first name, then the first language.
	off, isDir, found, err := resourceEntry(rsrc, base, 0, rtVersion, true)
	if err != nil || !found {
		return "", true, err
	}
	for level := 0; level < 2 && isDir; level++ {
		off, isDir, found, err = resourceEntry(rsrc, base, off, 0, false)
		if err != nil || !found {
			return "", true, err
		}
	}
	if isDir {
		return "", true, errors.New("the version resource nests deeper than type, name and language")
	}
	var data [16]byte // IMAGE_RESOURCE_DATA_ENTRY
	if _, err := rsrc.ReadAt(data[:], int64(base)+int64(off)); err != nil {
		return "", true, fmt.Errorf("reading the version resource's entry: %w", err)
	}
	rva, size := binary.LittleEndian.Uint32(data[0:]), binary.LittleEndian.Uint32(data[4:])
	size = min(size, maxVersionRes)
	sec := sectionAt(f, rva)
	if sec == nil {
		return "", true, fmt.Errorf("the version resource at %#x lies in no section", rva)
	}
	buf := make([]byte, size)
	n, err := sec.ReadAt(buf, int64(rva-sec.VirtualAddress))
	if err != nil && !errors.Is(err, io.EOF) {
		return "", true, fmt.Errorf("reading the version resource: %w", err)
	}
	buf = buf[:n]
	var sig [4]byte
	binary.LittleEndian.PutUint32(sig[:], fixedFileInfoSig)
	i := bytes.Index(buf, sig[:])
	if i < 0 || len(buf) < i+16 {
		return "", true, nil
	}
	ms := binary.LittleEndian.Uint32(buf[i+8:])
	ls := binary.LittleEndian.Uint32(buf[i+12:])
	return fmt.Sprintf("%d.%d.%d.%d", ms>>16, ms&0xffff, ls>>16, ls&0xffff), true, nil
}

// sectionAt returns the section holding the relative virtual address rva.
func sectionAt(f *pe.File, rva uint32) *pe.Section {
	for _, s := range f.Sections {
		end := s.VirtualAddress + max(s.VirtualSize, s.Size)
		if rva >= s.VirtualAddress && rva < end {
			return s
		}
	}
	return nil
}

// resourceEntry looks in the IMAGE_RESOURCE_DIRECTORY at off (from the
// resource root at base in rsrc) for the entry with the given ID (byID),
// or the first entry (otherwise). It returns where the entry points,
// relative to the root, and whether that is another directory.
func resourceEntry(rsrc *pe.Section, base, off, id uint32, byID bool) (next uint32, isDir, found bool, err error) {
	var hdr [16]byte
	if _, err := rsrc.ReadAt(hdr[:], int64(base)+int64(off)); err != nil {
		return 0, false, false, fmt.Errorf("reading a resource directory: %w", err)
	}
	count := int(binary.LittleEndian.Uint16(hdr[12:])) + int(binary.LittleEndian.Uint16(hdr[14:]))
	count = min(count, maxDirEntries)
	var ent [8]byte
	for i := range count {
		if _, err := rsrc.ReadAt(ent[:], int64(base)+int64(off)+16+int64(8*i)); err != nil {
			return 0, false, false, fmt.Errorf("reading a resource directory entry: %w", err)
		}
		name, to := binary.LittleEndian.Uint32(ent[0:]), binary.LittleEndian.Uint32(ent[4:])
		if byID && name != id {
			continue
		}
		return to &^ (1 << 31), to&(1<<31) != 0, true, nil
	}
	return 0, false, false, nil
}

// compareVersions compares dotted versions part by part: numbers as
// numbers (2.10 > 2.9), other parts as text ignoring case, a missing part
// as 0 (2.0 = 2.0.0.0). Separators are . , - _ + and spaces, so that a
// resource's "1, 0, 0, 1" compares equal to 1.0.0.1.
func compareVersions(a, b string) int {
	sep := func(r rune) bool { return strings.ContainsRune(".,-_+ ", r) }
	pa, pb := strings.FieldsFunc(a, sep), strings.FieldsFunc(b, sep)
	for i := range max(len(pa), len(pb)) {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if c := comparePart(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func comparePart(x, y string) int {
	if digits(x) && digits(y) {
		x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
		if len(x) != len(y) {
			if len(x) < len(y) {
				return -1
			}
			return 1
		}
		return strings.Compare(x, y)
	}
	return strings.Compare(strings.ToLower(x), strings.ToLower(y))
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
