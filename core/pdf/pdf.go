// Package pdf imports Package Definition Files, the INI files vendors
// shipped with software for SMS (.pdf, later .sms), in both published
// versions:
//
//   - SMS 1.x ([PDF] Version=1.0 or 1.2): [Package Definition] Product,
//     Version, Comment and SetupVariations, each naming a
//     "[<Variation> Setup]" section; [Setup Package for Sharing]; and
//     [Setup Package for Inventory] with its detection rule and [File N]
//     sections.
//   - 2.0 and later ([PDF] Version=2.0): [Package Definition] Name, Version,
//     Publisher, Comment and Programs, each naming a section; and
//     [DetectionMethod], as Configuration Manager application tooling
//     writes it (see detectionMethod).
//
// A file that names a section it does not have is refused, so nothing half
// read is ever stored. What the file says that OpenSMS cannot keep comes
// back as warnings, one sentence each. The source folder is not in the
// file: the importer asks for it.
//
// Platforms: SMS named platforms by operating system and processor.
// "Windows NT (x86)", "Windows NT 4.0 (x86)", "Win NT (I386)", "Windows 95",
// "Win 9x" and their like become windows/386 only. They do not become
// windows/amd64 as well, although 32-bit programs usually run there: an
// installer of that era may carry 16-bit parts or 32-bit drivers that do
// not, and only the administrator can tell. A file that names an x64
// platform ("Win NT (x64)", "AMD64") gets windows/amd64, and ARM64
// windows/arm64. Platforms with no counterpart today (Alpha, MIPS, PowerPC,
// Itanium, MS-DOS, Windows 3.1, OS/2, Macintosh) are dropped with a warning
// naming them; a command line left with no platform is kept without any
// and a warning, and the administrator chooses before the package
// validates. A 2.0 program with no SupportedClients at all runs on any
// platform, as SMS 2.0 and Configuration Manager read it.
package pdf

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"opensms/core/model"
)

// MaxSize bounds the file: real ones are a few kilobytes.
const MaxSize = 1 << 20

// Result is an imported package and what the import could not keep.
type Result struct {
	Package  model.Package // no ID and no Source: the store and the importer add them
	Warnings []string
}

// Parse reads a Package Definition File.
func Parse(r io.Reader) (Result, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return Result{}, fmt.Errorf("reading the package definition file: %w", err)
	}
	if len(b) > MaxSize {
		return Result{}, fmt.Errorf("the package definition file is larger than %d KiB; real ones are a few kilobytes", MaxSize>>10)
	}
	f := parseINI(decodeText(b))
	p := &parser{f: f, warnings: f.warnings}

	pdfSec := f.section("PDF")
	if pdfSec == nil {
		return Result{}, fmt.Errorf("this is not a Package Definition File: it has no [PDF] section")
	}
	ver := pdfSec.value("Version")
	major, ok := formatMajor(ver)
	if !ok {
		return Result{}, fmt.Errorf("[PDF] Version=%q is not a version this importer knows (1.0, 1.2 or 2.0)", clip(ver))
	}
	def := f.section("Package Definition")
	if def == nil {
		return Result{}, fmt.Errorf("the file has no [Package Definition] section")
	}
	var pkg model.Package
	if major == 1 {
		err = p.version1(def, &pkg)
	} else {
		if major > 2 {
			p.warn("[PDF] Version=%s is newer than 2.0; it is read as 2.0.", ver)
		}
		err = p.version2(def, &pkg)
	}
	if err != nil {
		return Result{}, err
	}
	if err := p.sharing(&pkg); err != nil {
		return Result{}, err
	}
	if err := p.inventory(&pkg); err != nil {
		return Result{}, err
	}
	p.detectionMethod(&pkg)
	return Result{Package: pkg, Warnings: p.warnings}, nil
}

type parser struct {
	f        *iniFile
	warnings []string
}

func (p *parser) warn(format string, args ...any) {
	p.warnings = append(p.warnings, fmt.Sprintf(format, args...))
}

// formatMajor reads "1.0", "1.2", "2.0" and their like.
func formatMajor(v string) (int, bool) {
	m, _, _ := strings.Cut(strings.TrimSpace(v), ".")
	n, err := strconv.Atoi(m)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// version1 reads SMS 1.x: SetupVariations name "[<Variation> Setup]" sections.
func (p *parser) version1(def *section, pkg *model.Package) error {
	pkg.Name = def.value("Product")
	if pkg.Name == "" {
		return fmt.Errorf("[Package Definition] has no Product, the package's name")
	}
	pkg.Version = def.value("Version")
	pkg.Comment = def.value("Comment")
	if wa := def.value("WorkstationAccess"); wa != "" {
		p.warn("WorkstationAccess=%s is not used: clients fetch a signed archive instead of reading the source share.", clip(wa))
	}
	variations, _ := def.get("SetupVariations")
	names := list(variations)
	if len(names) == 0 {
		p.warn("[Package Definition] names no SetupVariations, so the package has no command line; it can still be shared on servers.")
	}
	for _, v := range names {
		secName := v + " Setup"
		s := p.f.section(secName)
		if s == nil {
			return fmt.Errorf("SetupVariations names %q, but there is no [%s] section", v, secName)
		}
		c, err := p.command(s, "CommandName", v)
		if err != nil {
			return err
		}
		if b, _ := boolean(s.value("SynchronousSystemExitRequired")); b {
			p.warn("Command line %q: SynchronousSystemExitRequired=TRUE is not kept; OpenSMS learns of restarts from exit codes %d and %d.", c.Name, model.DefaultSoftRebootCode, model.DefaultHardRebootCode)
		}
		p.platforms(s, "SupportedPlatforms", &c)
		p.add(pkg, c)
	}
	if p.hasProgramItems() {
		p.warn("[Program Item Properties] sections (icons for shared applications) are not imported.")
	}
	return nil
}

// version2 reads SMS 2.0 and later: Programs name sections directly.
func (p *parser) version2(def *section, pkg *model.Package) error {
	pkg.Name = def.value("Name")
	if pkg.Name == "" {
		return fmt.Errorf("[Package Definition] has no Name")
	}
	pkg.Version = def.value("Version")
	pkg.Publisher = def.value("Publisher")
	pkg.Comment = def.value("Comment")
	programs, _ := def.get("Programs")
	names := list(programs)
	if len(names) == 0 {
		p.warn("[Package Definition] names no Programs, so the package has no command line; it can still be shared on servers.")
	}
	for _, v := range names {
		s := p.f.section(v)
		if s == nil {
			return fmt.Errorf("the Programs key names %q, but there is no [%s] section", v, v)
		}
		c, err := p.command(s, "Name", v)
		if err != nil {
			return err
		}
		switch strings.ToLower(s.value("CanRunWhen")) {
		case "anyuserstatus", "nouserloggedon":
			c.Background = true
		case "", "userloggedon":
		default:
			p.warn("Command line %q: CanRunWhen=%s is not one of UserLoggedOn, NoUserLoggedOn, AnyUserStatus; it runs only with a user logged on.", c.Name, clip(s.value("CanRunWhen")))
		}
		if d := s.value("StartIn"); d != "" && d != "." && d != `.\` {
			p.warn("Command line %q: StartIn=%s is not kept; command lines run from the package folder, so name the folder in the command.", c.Name, clip(d))
		}
		if dep := s.value("DependentProgram"); dep != "" {
			p.warn("Command line %q: DependentProgram=%s is not kept; make a job for that program first.", c.Name, clip(dep))
		}
		// SMS 2.0 and Configuration Manager read a program without
		// SupportedClients as one that runs on any platform; vendors'
		// files rely on it.
		if list(s.value("SupportedClients")) == nil {
			c.AnyPlatform = true
			p.warn("Command line %q names no SupportedClients, so it runs on any platform, as Configuration Manager reads it; name its platforms if it should not.", c.Name)
		} else {
			p.platforms(s, "SupportedClients", &c)
		}
		p.add(pkg, c)
	}
	return nil
}

// command reads what both versions share: a name, the command line and
// whether it needs a user.
func (p *parser) command(s *section, nameKey, fallback string) (model.CommandLine, error) {
	c := model.CommandLine{Name: s.value(nameKey)}
	if c.Name == "" {
		c.Name = fallback
	}
	c.Command, _ = s.get("CommandLine")
	if c.Command == "" {
		return c, fmt.Errorf("[%s] has no CommandLine", s.name)
	}
	// Without UserInputRequired=FALSE a command line is taken to need a
	// user, so it never runs unattended by mistake.
	if v, present := s.get("UserInputRequired"); present {
		b, ok := boolean(v)
		if !ok {
			p.warn("Command line %q: UserInputRequired=%s is not TRUE or FALSE; it is taken to need a user.", c.Name, clip(v))
		}
		c.Automated = ok && !b
	}
	c.ApplyDefaults()
	return c, nil
}

// add appends a command line, renaming it if the package already has one
// of that name (names are unique, ignoring case).
func (p *parser) add(pkg *model.Package, c model.CommandLine) {
	base := c.Name
	for n := 2; slices.ContainsFunc(pkg.Commands, func(o model.CommandLine) bool { return strings.EqualFold(o.Name, c.Name) }); n++ {
		c.Name = fmt.Sprintf("%s (%d)", base, n)
	}
	if c.Name != base {
		p.warn("Two command lines are named %q; the second is now %q.", base, c.Name)
	}
	pkg.Commands = append(pkg.Commands, c)
}

// platforms maps the old platform names; see the package comment.
func (p *parser) platforms(s *section, key string, c *model.CommandLine) {
	v, _ := s.get(key)
	names := list(v)
	if len(names) == 0 {
		p.warn("Command line %q names no platforms; choose them before the package is used.", c.Name)
		return
	}
	var dropped, unknown []string
	for _, n := range names {
		plats, known := mapPlatform(n)
		switch {
		case !known:
			unknown = append(unknown, n)
		case len(plats) == 0:
			dropped = append(dropped, n)
		}
		for _, pl := range plats {
			if !slices.Contains(c.Platforms, pl) {
				c.Platforms = append(c.Platforms, pl)
			}
		}
	}
	slices.SortFunc(c.Platforms, func(a, b model.Platform) int {
		return slices.Index(model.Platforms, a) - slices.Index(model.Platforms, b)
	})
	if len(dropped) > 0 {
		p.warn("Command line %q: %s %s no counterpart today and %s dropped.", c.Name, quoteList(dropped), plural(len(dropped), "has", "have"), plural(len(dropped), "is", "are"))
	}
	if len(unknown) > 0 {
		p.warn("Command line %q: %s %s not a platform this importer knows and %s dropped.", c.Name, quoteList(unknown), plural(len(unknown), "is", "are"), plural(len(unknown), "is", "are"))
	}
	if len(c.Platforms) == 0 {
		p.warn("Command line %q is kept with no platform; choose its platforms before the package is used.", c.Name)
	}
}

// mapPlatform maps one SMS platform name. known is false for names it has
// never heard of; known with no platforms means a platform that is gone.
func mapPlatform(name string) (plats []model.Platform, known bool) {
	n := strings.Join(strings.Fields(strings.ToLower(name)), " ")
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(n, s) {
				return true
			}
		}
		return false
	}
	win := has("win")
	switch {
	case has("alpha", "mips", "ppc", "powerpc", "ia64", "itanium"):
		return nil, true
	case has("ms-dos", "msdos", "os/2", "os2", "macintosh", "workgroups", "win16") || n == "dos" || n == "mac",
		win && (strings.HasPrefix(n, "windows 3") || strings.HasPrefix(n, "win 3")):
		return nil, true
	case win && has("x64", "amd64", "x86-64", "x86_64", "64-bit"):
		return []model.Platform{"windows/amd64"}, true
	case win && has("arm64"):
		return []model.Platform{"windows/arm64"}, true
	case win && has("x86", "i386", "intel", "9x", "95", "98", " me", "nt", "2000", "xp"):
		return []model.Platform{"windows/386"}, true
	}
	return nil, false
}

// sharing reads [Setup Package for Sharing].
func (p *parser) sharing(pkg *model.Package) error {
	s := p.f.section("Setup Package for Sharing")
	if s == nil {
		return nil
	}
	pkg.Sharing.ShareName = s.value("ShareName")
	pkg.Sharing.Access = s.value("ShareAccess")
	return nil
}

// ruleToken matches the words of a detection rule: File N, AND, OR, NOT
// and parentheses.
var ruleToken = regexp.MustCompile(`(?i)\(|\)|\bfile\s*\d+\b|\band\b|\bor\b|\bnot\b|\S+`)

// inventory reads [Setup Package for Inventory]: each [File N] the
// detection rule names becomes one or two rules (presence or size, and
// version), and the rule's AND, OR, NOT and parentheses become the
// package's detection logic over their numbers (left empty when it only
// ANDs: all must hold). A rule that cannot be read is dropped whole, with
// a warning, rather than made stricter or looser than the vendor meant.
func (p *parser) inventory(pkg *model.Package) error {
	s := p.f.section("Setup Package for Inventory")
	if s == nil {
		return nil
	}
	if on, _ := boolean(s.value("InventoryThisPackage")); !on {
		return nil
	}
	type part struct {
		n    int
		text string
	}
	var parts []part
	for _, k := range s.list {
		rest, ok := strings.CutPrefix(k, "detection rule part")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil {
			p.warn("[Setup Package for Inventory] key %q is not Detection Rule Part N; it is ignored.", clip(k))
			continue
		}
		parts = append(parts, part{n, s.keys[k]})
	}
	slices.SortFunc(parts, func(a, b part) int { return a.n - b.n })
	var expr []string
	var written []string         // the rule as the file wrote it, for sentences
	terms := map[string]string{} // [File N] → its rules' numbers, ANDed
	combines := false
	keep := len(pkg.Detection)
	drop := func() { pkg.Detection = pkg.Detection[:keep] }
	for _, pt := range parts {
		for _, tok := range ruleToken.FindAllString(pt.text, -1) {
			written = append(written, tok)
			switch up := strings.ToUpper(tok); {
			case up == "AND", up == "(", up == ")":
				expr = append(expr, up)
			case up == "OR", up == "NOT":
				expr = append(expr, up)
				combines = true
			case strings.HasPrefix(up, "FILE"):
				num := strings.TrimSpace(tok[4:])
				name := "File " + num
				s := p.f.section(name)
				if s == nil {
					drop()
					return fmt.Errorf("the detection rule's part %d names %q, but there is no [%s] section", pt.n, tok, name)
				}
				term, seen := terms[name]
				if !seen {
					from := len(pkg.Detection)
					p.fileRules(s, pkg)
					if len(pkg.Detection) == from {
						drop()
						p.warn("The detection rule names [%s], which checks nothing; no detection rules are imported.", name)
						return nil
					}
					var nums []string
					for i := from; i < len(pkg.Detection); i++ {
						nums = append(nums, strconv.Itoa(i+1))
					}
					term = "(" + strings.Join(nums, " AND ") + ")"
					terms[name] = term
				}
				expr = append(expr, term)
			default:
				drop()
				p.warn("Detection Rule Part %d holds %q, which is not File N, AND, OR, NOT or a parenthesis; detection rules are not imported.", pt.n, clip(tok))
				return nil
			}
		}
	}
	if len(terms) == 0 {
		p.warn("InventoryThisPackage=TRUE but no Detection Rule Part names a file; no detection rules are imported.")
		return nil
	}
	text := strings.Join(expr, " ")
	if keep > 0 {
		// Rules from another section of the file hold as well.
		var pre []string
		for i := 1; i <= keep; i++ {
			pre = append(pre, strconv.Itoa(i))
		}
		text = strings.Join(pre, " AND ") + " AND (" + text + ")"
	}
	logic, err := model.ParseDetectionLogic(text, len(pkg.Detection))
	if err != nil {
		drop()
		p.warn("The detection rule %q cannot be read (%v); no detection rules are imported.", clip(strings.Join(written, " ")), err)
		return nil
	}
	if combines {
		pkg.DetectionLogic = logic.String()
	}
	return nil
}

// fileRules turns one [File N] section into rules.
func (p *parser) fileRules(s *section, pkg *model.Package) {
	file := s.value("File")
	if file == "" {
		file = s.value("Name")
	}
	if file == "" {
		p.warn("[%s] names no File; it is not imported.", s.name)
		return
	}
	kind, value := model.RuleFileExists, ""
	if size := s.value("Size"); size != "" {
		if n, err := strconv.ParseInt(size, 10, 64); err == nil && n >= 0 {
			kind, value = model.RuleFileSize, size
		} else {
			p.warn("[%s] Size=%s is not a number of bytes; only the file's presence is checked.", s.name, clip(size))
		}
	}
	pkg.Detection = append(pkg.Detection, model.DetectionRule{Kind: kind, Path: file, Value: value})
	if v := s.value("Version"); v != "" {
		pkg.Detection = append(pkg.Detection, model.DetectionRule{Kind: model.RuleVersion, Path: file, Value: v})
	}
	var unkept []string
	for _, k := range s.list {
		switch k {
		case "file", "name", "size", "version", "collect":
		default:
			unkept = append(unkept, s.names[k])
		}
	}
	if len(unkept) > 0 {
		p.warn("[%s] %s: %s %s not checked; OpenSMS rules check a file's presence, size, SHA-256 or version.", s.name, file, strings.Join(unkept, ", "), plural(len(unkept), "is", "are"))
	}
}

func (p *parser) hasProgramItems() bool {
	for _, k := range p.f.order {
		if strings.HasPrefix(k, "program item properties") {
			return true
		}
	}
	return false
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
