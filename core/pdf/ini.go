package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// iniFile is a parsed INI file: sections by lower-cased name, each with
// its keys by lower-cased name. As Windows' GetPrivateProfileString does,
// the first occurrence of a key wins and repeated sections merge.
type iniFile struct {
	sections map[string]*section
	order    []string // lower-cased section names in file order
	warnings []string
}

type section struct {
	name  string            // as first written
	keys  map[string]string // lower-cased key → trimmed value
	names map[string]string // lower-cased key → as first written
	list  []string          // lower-cased keys in file order
}

func (s *section) get(key string) (string, bool) {
	if s == nil {
		return "", false
	}
	v, ok := s.keys[strings.ToLower(key)]
	return v, ok
}

// value returns a key's value with one pair of surrounding double quotes
// removed, as Windows does for names; command lines keep theirs (use get).
func (s *section) value(key string) string {
	v, _ := s.get(key)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = strings.TrimSpace(v[1 : len(v)-1])
	}
	return v
}

func (f *iniFile) section(name string) *section {
	return f.sections[strings.ToLower(strings.TrimSpace(name))]
}

// parseINI reads INI text: CRLF or LF, ';' comment lines, [Section] headers
// and key=value lines; section names and keys are case-insensitive.
func parseINI(text string) *iniFile {
	f := &iniFile{sections: map[string]*section{}}
	var cur *section
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		switch {
		case line == "" || line[0] == ';':
			continue
		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				f.warnings = append(f.warnings, fmt.Sprintf("Line %d, %q, opens a section but does not close it; it is ignored.", i+1, clip(line)))
				cur = nil
				continue
			}
			name := strings.TrimSpace(line[1:end])
			key := strings.ToLower(name)
			if cur = f.sections[key]; cur == nil {
				cur = &section{name: name, keys: map[string]string{}, names: map[string]string{}}
				f.sections[key] = cur
				f.order = append(f.order, key)
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				f.warnings = append(f.warnings, fmt.Sprintf("Line %d, %q, is neither a section, a key=value line nor a comment; it is ignored.", i+1, clip(line)))
				continue
			}
			if cur == nil {
				f.warnings = append(f.warnings, fmt.Sprintf("Line %d, %q, comes before any [section]; it is ignored.", i+1, clip(line)))
				continue
			}
			lk := strings.ToLower(k)
			if _, dup := cur.keys[lk]; !dup {
				cur.keys[lk] = strings.TrimSpace(v)
				cur.names[lk] = k
				cur.list = append(cur.list, lk)
			}
		}
	}
	return f
}

// decodeText turns the file's bytes into UTF-8: UTF-16 with a byte-order
// mark, UTF-8 (with or without one), and anything else as Windows-1252,
// the ANSI code page these files were written in.
func decodeText(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return decodeUTF16(b[2:], func(p []byte) uint16 { return uint16(p[0]) | uint16(p[1])<<8 })
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return decodeUTF16(b[2:], func(p []byte) uint16 { return uint16(p[1]) | uint16(p[0])<<8 })
	case utf8.Valid(b):
		return string(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))
	}
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/8)
	for _, c := range b {
		if c >= 0x80 && c < 0xa0 {
			sb.WriteRune(cp1252[c-0x80])
		} else {
			sb.WriteRune(rune(c)) // the rest of Windows-1252 is Latin-1
		}
	}
	return sb.String()
}

func decodeUTF16(b []byte, unit func([]byte) uint16) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, unit(b[i:]))
	}
	return string(utf16.Decode(u))
}

// cp1252 maps bytes 0x80 to 0x9F of Windows-1252. The five bytes it leaves
// undefined map to the C1 controls, as Windows' own conversion does.
var cp1252 = [32]rune{
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
}

// list splits a comma-separated value, dropping empty items.
func list(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// boolean reads TRUE/FALSE (and YES/NO, 1/0); ok is false for anything else.
func boolean(v string) (b, ok bool) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "TRUE", "YES", "1":
		return true, true
	case "FALSE", "NO", "0":
		return false, true
	}
	return false, false
}

// clip shortens text quoted in a warning.
func clip(s string) string {
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		return string(r[:60]) + "…"
	}
	return s
}
