package model

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Location is where a share is: an SMB share (with an optional folder inside
// it) or, for development and the demo site, a local folder.
type Location struct {
	Scheme string // "smb" or "file"
	Domain string
	User   string
	Host   string
	Port   int    // 0 means the default, 445
	Share  string // SMB share name
	Path   string // folder inside the share, or the local folder; '/'-separated, no leading '/' for smb
}

// DefaultSMBPort is SMB over TCP.
const DefaultSMBPort = 445

// ParseLocation accepts `\\host\share\folder`, `//host/share/folder`,
// `smb://[domain;]user@host[:port]/share/folder`, `file:///abs/dir` and an
// absolute local path. It refuses anything else with a sentence.
func ParseLocation(s string) (Location, error) {
	l, err := parseLocation(s)
	if err != nil {
		return l, hidePassword(err, s)
	}
	return l, nil
}

// hidePassword takes out of err's sentence a password given in the
// location s (user:password@host), which the sentence quotes.
func hidePassword(err error, s string) error {
	rest := strings.TrimSpace(s)
	if len(rest) >= len("smb://") && strings.EqualFold(rest[:len("smb://")], "smb://") {
		rest = rest[len("smb://"):]
	}
	rest = strings.TrimLeft(rest, `\/`)
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return err
	}
	_, pw, ok := strings.Cut(rest[:at], ":")
	if !ok || pw == "" {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), pw, "***"))
}

func parseLocation(s string) (Location, error) {
	in := strings.TrimSpace(s)
	switch {
	case in == "":
		return Location{}, fmt.Errorf("location is empty: give \\\\host\\share\\folder or smb://user@host/share/folder")
	case strings.HasPrefix(in, `\\`) || (strings.HasPrefix(in, "//") && !strings.HasPrefix(in, "///")):
		return parseUNC(in)
	case strings.HasPrefix(strings.ToLower(in), "smb://"):
		return parseSMBURL(in)
	case strings.HasPrefix(strings.ToLower(in), "file://"):
		p := in[len("file://"):]
		if !strings.HasPrefix(p, "/") {
			return Location{}, fmt.Errorf("location %q: a file:// location needs an absolute path (file:///dir)", s)
		}
		return localLocation(s, p)
	case strings.HasPrefix(in, "/"):
		return localLocation(s, in)
	}
	return Location{}, fmt.Errorf("location %q is not \\\\host\\share\\folder, smb://host/share/folder or an absolute local folder", s)
}

func localLocation(orig, p string) (Location, error) {
	if hasCtl(p) {
		return Location{}, fmt.Errorf("location %q holds a control character", orig)
	}
	c := path.Clean(p)
	// ParseLocation trims its input, so a folder whose name ends in a space
	// would lose it when the location is written down and read back.
	if r, _ := utf8.DecodeLastRuneInString(c); unicode.IsSpace(r) {
		return Location{}, fmt.Errorf("location %q ends in a folder name that ends with a space", orig)
	}
	return Location{Scheme: "file", Path: c}, nil
}

func parseUNC(s string) (Location, error) {
	body := strings.ReplaceAll(s, `\`, "/")
	body = strings.TrimPrefix(body, "//")
	parts := strings.SplitN(body, "/", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return Location{}, fmt.Errorf("location %q needs a host and a share: \\\\host\\share", s)
	}
	l := Location{Scheme: "smb", Host: parts[0]}
	if h, p, ok := splitHostPort(parts[0]); ok {
		l.Host, l.Port = h, p
	} else if strings.Contains(parts[0], ":") && !strings.HasPrefix(parts[0], "[") {
		return Location{}, fmt.Errorf("location %q has a bad port in %q", s, parts[0])
	}
	l.Share = parts[1]
	if len(parts) == 3 {
		l.Path = parts[2]
	}
	return l.normalise(s)
}

func parseSMBURL(s string) (Location, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Location{}, fmt.Errorf("location %q is not a valid smb:// URL: %v", s, urlErr(err))
	}
	if u.Opaque != "" || u.Host == "" {
		return Location{}, fmt.Errorf("location %q needs a host: smb://host/share", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Location{}, fmt.Errorf("location %q: smb:// locations take no ?query or #fragment", s)
	}
	if _, set := u.User.Password(); set {
		return Location{}, fmt.Errorf("location %q holds a password: give it separately, never in the URL", redactURL(u))
	}
	l := Location{Scheme: "smb", Host: u.Hostname()}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return Location{}, fmt.Errorf("location %q has port %q, which is not 1 to 65535", s, p)
		}
		l.Port = n
	}
	if u.User != nil {
		user := u.User.Username()
		if d, us, ok := strings.Cut(user, ";"); ok {
			l.Domain, user = d, us
		}
		l.User = user
	}
	p := strings.TrimPrefix(u.Path, "/")
	share, rest, _ := strings.Cut(p, "/")
	if share == "" {
		return Location{}, fmt.Errorf("location %q needs a share: smb://host/share", s)
	}
	l.Share, l.Path = share, rest
	return l.normalise(s)
}

func urlErr(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = url.User(u.User.Username())
	return c.String()
}

// splitHostPort splits "host:port"; ok is false when there is no port.
func splitHostPort(hp string) (string, int, bool) {
	i := strings.LastIndexByte(hp, ':')
	if i < 0 || strings.HasSuffix(hp, "]") {
		return hp, 0, false
	}
	n, err := strconv.Atoi(hp[i+1:])
	if err != nil || n < 1 || n > 65535 {
		return hp, 0, false
	}
	h := strings.TrimSuffix(strings.TrimPrefix(hp[:i], "["), "]")
	return h, n, true
}

const badShareChars = `"/\[]:|<>+=;,*?`

func (l Location) normalise(orig string) (Location, error) {
	l.Host = strings.TrimSuffix(strings.TrimPrefix(l.Host, "["), "]")
	if !validHost(l.Host) {
		return Location{}, fmt.Errorf("location %q has no valid host name", orig)
	}
	if strings.ContainsAny(l.Share, badShareChars) || strings.TrimSpace(l.Share) == "" || hasCtl(l.Share) {
		return Location{}, fmt.Errorf("location %q has share %q, which is empty or holds one of %s", orig, l.Share, badShareChars)
	}
	if l.Port == DefaultSMBPort {
		l.Port = 0
	}
	var segs []string
	for _, seg := range strings.Split(l.Path, "/") {
		switch seg {
		case "", ".":
			continue
		case "..":
			return Location{}, fmt.Errorf("location %q has '..' in its folder", orig)
		}
		if hasCtl(seg) || strings.ContainsAny(seg, `:*?"<>|`) {
			return Location{}, fmt.Errorf("location %q has folder name %q, which holds a character SMB does not allow", orig, seg)
		}
		segs = append(segs, seg)
	}
	l.Path = strings.Join(segs, "/")
	if strings.ContainsAny(l.User+l.Domain, "@;:/\\") || hasCtl(l.User+l.Domain) {
		return Location{}, fmt.Errorf("location %q has a user or domain with a character that is not allowed", orig)
	}
	if l.Domain != "" && l.User == "" {
		return Location{}, fmt.Errorf("location %q has a domain but no user", orig)
	}
	return l, nil
}

// validHost accepts an IPv6 address (without a zone) or a name of letters,
// digits, '-', '_' and '.': what a URL carries unescaped, so that String
// prints a host that parses back.
func validHost(h string) bool {
	if strings.Contains(h, ":") {
		a, err := netip.ParseAddr(h)
		return err == nil && a.Is6() && a.Zone() == ""
	}
	for _, r := range h {
		if r != '-' && r != '_' && r != '.' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return h != ""
}

func hasCtl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

// IsLocal reports whether the location is a local folder.
func (l Location) IsLocal() bool { return l.Scheme == "file" }

// Addr returns host:port for dialing.
func (l Location) Addr() string {
	p := l.Port
	if p == 0 {
		p = DefaultSMBPort
	}
	h := l.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	return h + ":" + strconv.Itoa(p)
}

// String prints the canonical form: smb://[domain;user@]host[:port]/share/folder
// or file:///dir. ParseLocation(l.String()) == l.
func (l Location) String() string {
	if l.IsLocal() {
		return "file://" + l.Path
	}
	var b strings.Builder
	b.WriteString("smb://")
	if l.User != "" {
		u := l.User
		if l.Domain != "" {
			u = l.Domain + ";" + u
		}
		b.WriteString(url.User(u).String())
		b.WriteByte('@')
	}
	h := l.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	b.WriteString(h)
	if l.Port != 0 {
		b.WriteString(":" + strconv.Itoa(l.Port))
	}
	b.WriteString("/" + (&url.URL{Path: l.Share}).EscapedPath())
	if l.Path != "" {
		b.WriteString("/" + (&url.URL{Path: l.Path}).EscapedPath())
	}
	return b.String()
}

// UNC prints \\host[:port]\share\folder (no user), as Windows shows it.
func (l Location) UNC() string {
	if l.IsLocal() {
		return l.Path
	}
	h := l.Host
	if l.Port != 0 {
		h += ":" + strconv.Itoa(l.Port)
	}
	s := `\\` + h + `\` + l.Share
	if l.Path != "" {
		s += `\` + strings.ReplaceAll(l.Path, "/", `\`)
	}
	return s
}

// Join returns the location of a folder below this one.
func (l Location) Join(elem ...string) Location {
	l.Path = strings.TrimPrefix(path.Join(append([]string{"/" + l.Path}, elem...)...), "/")
	if l.IsLocal() {
		l.Path = "/" + l.Path
	}
	return l
}
