package main

// The smsctl command framework: nouns, verbs, global flags, exit codes and
// output.
//
// How to add a command. Put it in its own file (job.go, watchdog.go, …) and
// register it from that file's init; nothing here needs editing:
//
//	func init() {
//		register(command{
//			Name:    "job",
//			Summary: "create, list and cancel jobs",
//			Verbs: []verb{{
//				Name:    "show", // may be two words, e.g. "command add"
//				Args:    "ID",   // shown in help
//				NArgs:   1,      // exact positional count; -1 = any (check them yourself)
//				Summary: "show a job and its status",
//				Setup: func(fs *flag.FlagSet) runFunc {
//					verbose := fs.Bool("verbose", false, "also show per-computer status")
//					return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
//						s, err := api.GetJob(ctx, args[0])
//						...
//						return e.show(s, fields)
//					})
//				},
//			}},
//		})
//	}
//
// Setup defines the verb's flags on fs and returns the function that runs
// it; the flags' variables are captured by that closure. The framework adds
// the global flags (--data, --json) to every verb, lets flags and positional
// arguments mix in any order, and maps what run returns to an exit code:
//   - nil: exit 0;
//   - usagef(...) or an error of the kinds bad input, not found, exists or
//     in use (admin.Error, model.ErrInvalid, …): the input was wrong; exit 2
//     with the sentence and a hint "see 'smsctl NOUN VERB --help'";
//   - any other error: the work failed; exit 1 with the sentence.
//
// Admin verbs do their work through the Administrator API (core/admin),
// which holds every rule; a verb only turns flags into a request and the
// answer into lines. withAPI gives a verb the API (the site service's when
// one answers, else one in this process; see attach.go), closed when the
// command ends; e.list, e.table, e.show and e.printJSON print, honouring
// --json. Errors are one lowercase sentence, as Go errors are; they must
// never hold a password. Read passwords with passwordFlags.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/core/share"
	"opensms/storage/adminapi"
)

// runFunc runs one verb with its positional arguments.
type runFunc func(ctx context.Context, e *env, args []string) error

// verb is one action on a noun: "site add", "package command add".
type verb struct {
	Name    string // one or more words after the noun
	Args    string // positional arguments for help, e.g. "CODE"
	NArgs   int    // exact number of positional arguments; -1 = any
	Summary string // one line, lower case, no full stop
	// Usage, when set, replaces the generated synopsis after
	// "smsctl NOUN VERB" in help, e.g. "--code S01 --name NAME --share URL".
	Usage string
	Setup func(fs *flag.FlagSet) runFunc
}

// command is a noun and its verbs.
type command struct {
	Name    string
	Summary string
	Verbs   []verb
}

// commands holds what init functions registered, in registration order
// (Go runs a package's init functions in file-name order). It is written
// only before main starts.
var commands []command

// registerVerbs adds verbs to a noun another file registered (a file
// whose name sorts after that file's, since init functions run in that
// order), so that each verb can live in its own file.
func registerVerbs(noun string, verbs ...verb) {
	for i := range commands {
		if commands[i].Name == noun {
			commands[i].Verbs = append(commands[i].Verbs, verbs...)
			return
		}
	}
	panic("smsctl: verbs for " + noun + ", which is not registered")
}

// register adds a noun. A name registered twice is a programming error.
func register(c command) {
	for _, have := range commands {
		if have.Name == c.Name {
			panic("smsctl: command " + c.Name + " registered twice")
		}
	}
	commands = append(commands, c)
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.Name == name {
			return c, true
		}
	}
	return command{}, false
}

// usageError is bad input: exit code 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

// usagef reports bad input. The framework adds the help hint.
func usagef(format string, a ...any) error {
	return usageError{msg: fmt.Sprintf(format, a...)}
}

// isBadInput reports whether err should exit 2.
func isBadInput(err error) bool {
	var u usageError
	if errors.As(err, &u) {
		return true
	}
	switch admin.KindOf(err) {
	case admin.KindInvalid, admin.KindNotFound, admin.KindExists, admin.KindInUse:
		return true
	}
	return false
}

// env is what a running verb gets: the global flags, standard streams and
// the store, opened on first use.
type env struct {
	dataDir string // "" until --data is given or the default is computed
	json    bool

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer

	open func(dir string) (model.Store, error)
	st   model.Store
	// restore makes the site store in dir from storedir's backup stream
	// (main.go wires it to badgerstore).
	restore func(dir string, r io.Reader) error

	// version overrides the build's version (tests of a mismatch).
	version string
	// adminAPI is what e.api returned: attached to the site service
	// (attached is then set) or in this process over st.
	adminAPI admin.API
	attached *adminapi.Client
}

// globalFlags adds --data and --json to fs, bound to e.
func (e *env) globalFlags(fs *flag.FlagSet) {
	fs.Var(dataFlag{&e.dataDir}, "data", "data `DIR` (default: the user's config directory + /opensms)")
	fs.BoolVar(&e.json, "json", e.json, "print JSON instead of a table")
}

// dataFlag is --data: an empty value is refused (it used to mean the
// default, silently) and a relative one is made absolute at once (the
// watchdog and the services need absolute paths).
type dataFlag struct{ dir *string }

func (f dataFlag) String() string {
	if f.dir == nil {
		return ""
	}
	return *f.dir
}

func (f dataFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("the data directory is empty: give a directory, or leave --data out for the default")
	}
	abs, err := filepath.Abs(v)
	if err != nil {
		return fmt.Errorf("cannot make %q an absolute path: %v", v, err)
	}
	*f.dir = abs
	return nil
}

// DataDir returns --data or the default, the user's config dir + opensms.
func (e *env) DataDir() (string, error) {
	if e.dataDir != "" {
		return e.dataDir, nil
	}
	return model.DefaultDataDir(model.SiteDataName)
}

// withAPI is the run of an admin verb: it gets the Administrator API (see
// e.api) and calls do with it.
func withAPI(do func(ctx context.Context, e *env, api admin.API, args []string) error) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		api, err := e.api(ctx)
		if err != nil {
			return err
		}
		return do(ctx, e, api, args)
	}
}

// store opens the store on first use; run closes it when the verb ends.
func (e *env) store() (model.Store, error) {
	if e.st != nil {
		return e.st, nil
	}
	dir, err := e.DataDir()
	if err != nil {
		return nil, err
	}
	st, err := e.open(dir)
	if err != nil {
		return nil, err
	}
	e.st = st
	return st, nil
}

func (e *env) close() error {
	if e.attached != nil {
		e.attached.Close()
		e.attached = nil
	}
	e.adminAPI = nil
	if e.st == nil {
		return nil
	}
	err := e.st.Close()
	e.st = nil
	return err
}

// printJSON writes v as indented JSON.
func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table prints v as JSON with --json, else the header and rows as an
// aligned table. Pass a non-nil empty slice as v for an empty list so that
// JSON prints [] rather than null.
func (e *env) table(v any, header []string, rows [][]string) error {
	if e.json {
		return e.printJSON(v)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// nonNil makes an empty list print as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// list prints items as JSON with --json, else as a table with one row per
// item.
func list[T any](e *env, items []T, header []string, row func(T) []string) error {
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		rows = append(rows, row(it))
	}
	return e.table(nonNil(items), header, rows)
}

// field is one line of a show: "name: value".
type field struct{ Key, Value string }

// show prints v as JSON with --json, else the fields one per line.
func (e *env) show(v any, fields []field) error {
	if e.json {
		return e.printJSON(v)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 1, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", f.Key, f.Value)
	}
	return tw.Flush()
}

// passwordOpt is --password-env VAR | --password-stdin. There is never a
// --password flag: a password on the command line ends up in shell history
// and in every process listing.
type passwordOpt struct {
	env   string
	stdin bool
	// prefix is what the flags' names start with ("" or "source-").
	prefix string
}

// passwordFlags adds --password-env and --password-stdin to fs.
func passwordFlags(fs *flag.FlagSet) *passwordOpt { return prefixedPasswordFlags(fs, "") }

// prefixedPasswordFlags adds --PREFIXpassword-env and
// --PREFIXpassword-stdin to fs, for a second login (a package's source).
func prefixedPasswordFlags(fs *flag.FlagSet, prefix string) *passwordOpt {
	p := &passwordOpt{prefix: prefix}
	fs.StringVar(&p.env, prefix+"password-env", "", "read the password from environment variable `VAR`")
	fs.BoolVar(&p.stdin, prefix+"password-stdin", false, "read the password from the first line of standard input")
	return p
}

// read returns the password, or the zero Secret when neither flag was given.
// Call it before the first store write: a missing variable is bad input.
func (p *passwordOpt) read(e *env) (model.Secret, error) {
	envFlag, stdinFlag := "--"+p.prefix+"password-env", "--"+p.prefix+"password-stdin"
	switch {
	case p.env != "" && p.stdin:
		return model.Secret{}, usagef("give %s or %s, not both", envFlag, stdinFlag)
	case p.env != "":
		v, ok := os.LookupEnv(p.env)
		if !ok {
			return model.Secret{}, usagef("environment variable %s named by %s is not set", p.env, envFlag)
		}
		if v == "" {
			return model.Secret{}, usagef("environment variable %s named by %s is empty", p.env, envFlag)
		}
		return model.NewSecret(v), nil
	case p.stdin:
		line, err := readLine(e.stdin)
		if err != nil {
			return model.Secret{}, fmt.Errorf("reading the password from standard input: %w", err)
		}
		if line == "" {
			return model.Secret{}, usagef("%s read an empty password", stdinFlag)
		}
		return model.NewSecret(line), nil
	}
	return model.Secret{}, nil
}

// readLine reads up to the first newline without buffering past it, so a
// later reader of stdin still sees the rest.
func readLine(r io.Reader) (string, error) {
	var b []byte
	one := make([]byte, 1)
	for {
		n, err := r.Read(one)
		if n == 1 {
			if one[0] == '\n' {
				break
			}
			b = append(b, one[0])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return strings.TrimSuffix(string(b), "\r"), nil
}

// splitList splits "a,b, c" into trimmed non-empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

// requireFlags refuses a command line that lacks one of the named flags.
func requireFlags(fs *flag.FlagSet, names ...string) error {
	var missing []string
	for _, n := range names {
		if !flagSet(fs, n) {
			missing = append(missing, "--"+n)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return usagef("%s is required", missing[0])
	}
	return usagef("%s are required", strings.Join(missing, ", "))
}

// run parses the command line, runs the verb and returns the exit code.
// A panic (Badger's way of meeting a damaged file while reading) is a
// failure said in one sentence, not a stack and the bad-input code.
func run(ctx context.Context, args []string, e *env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			msg, _, _ := strings.Cut(fmt.Sprint(r), "\n")
			fmt.Fprintf(e.stderr, "smsctl: stopped on an internal error (%s); if the data directory is damaged, restore it from a backup (smsctl restore)\n", msg)
			code = 1
		}
	}()
	code, err := dispatch(ctx, args, e)
	if cerr := e.close(); cerr != nil && err == nil {
		err, code = fmt.Errorf("closing the store: %w", cerr), 1
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "smsctl: "+err.Error())
		if code == 0 {
			code = 1
		}
	}
	return code
}

// hinted is bad input with the help command to point at.
type hinted struct {
	err  error
	hint string
}

func (h hinted) Error() string { return h.err.Error() + "; see '" + h.hint + "'" }

func dispatch(ctx context.Context, args []string, e *env) (int, error) {
	g := flag.NewFlagSet("smsctl", flag.ContinueOnError)
	g.SetOutput(io.Discard)
	e.globalFlags(g)
	wantVersion := g.Bool("version", false, "") // smsctl --version is smsctl version
	if err := g.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printOverview(e.stdout)
			return 0, nil
		}
		return 2, hinted{err, "smsctl help"}
	}
	args = g.Args()
	if *wantVersion && len(args) == 0 {
		args = []string{"version"}
	}
	if len(args) == 0 {
		return 2, hinted{errors.New("no command given"), "smsctl help"}
	}
	noun := args[0]
	args = args[1:]
	if noun == "help" {
		return help(e.stdout, args)
	}
	cmd, ok := findCommand(noun)
	if !ok {
		return 2, hinted{fmt.Errorf("unknown command %q", noun), "smsctl help"}
	}
	// Global flags may stand between noun and verb.
	if len(args) > 0 && strings.HasPrefix(args[0], "-") && !isHelpFlag(args[0]) {
		if err := g.Parse(args); err != nil {
			return 2, hinted{err, "smsctl " + noun + " --help"}
		}
		args = g.Args()
	}
	// A command whose one verb has no name (smsctl backup FILE) takes its
	// arguments at once.
	verbless := len(cmd.Verbs) == 1 && cmd.Verbs[0].Name == ""
	if len(args) == 0 && !verbless {
		return 2, hinted{fmt.Errorf("smsctl %s needs one of: %s", noun, verbNames(cmd)), "smsctl " + noun + " --help"}
	}
	if len(args) > 0 && !verbless && (isHelpFlag(args[0]) || args[0] == "help") {
		printCommand(e.stdout, cmd)
		return 0, nil
	}
	v, rest, ok := matchVerb(cmd, args)
	if verbless {
		v, rest, ok = cmd.Verbs[0], args, true
	}
	if !ok {
		return 2, hinted{fmt.Errorf("smsctl %s has no verb %q; it has: %s", noun, args[0], verbNames(cmd)), "smsctl " + noun + " --help"}
	}
	hint := strings.TrimSpace("smsctl "+noun+" "+v.Name) + " --help"
	fs := flag.NewFlagSet(strings.TrimSpace("smsctl "+noun+" "+v.Name), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	runner := v.Setup(fs)
	e.globalFlags(fs)
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printVerb(e.stdout, cmd, v, fs)
			return 0, nil
		}
		return 2, hinted{err, hint}
	}
	if v.NArgs >= 0 && len(pos) != v.NArgs {
		var err error
		switch {
		case v.NArgs == 0:
			err = fmt.Errorf("smsctl %s %s takes no arguments, got %q", noun, v.Name, strings.Join(pos, " "))
		case len(pos) < v.NArgs:
			err = fmt.Errorf("smsctl %s %s needs %s", noun, v.Name, v.Args)
		default:
			err = fmt.Errorf("smsctl %s %s takes only %s, got %q", noun, v.Name, v.Args, strings.Join(pos, " "))
		}
		return 2, hinted{err, hint}
	}
	if err := runner(ctx, e, pos); err != nil {
		if isBadInput(err) {
			return 2, hinted{err, hint}
		}
		return 1, withShareAdvice(err)
	}
	return 0, nil
}

// adviceError is an error with what to do about it appended.
type adviceError struct {
	err    error
	advice string
}

func (a adviceError) Error() string { return a.err.Error() + "; " + a.advice }
func (a adviceError) Unwrap() error { return a.err }

// withShareAdvice adds share.Advice to an error of the client engine (the
// admin API adds it itself), with the flags that carry the login.
func withShareAdvice(err error) error {
	switch a := share.Advice(err); a {
	case "":
		return err
	case share.AdviceLogon:
		return adviceError{err, a + " (--user or the URL's user@; --password-env or --password-stdin)"}
	default:
		return adviceError{err, a}
	}
}

func isHelpFlag(s string) bool {
	return s == "-h" || s == "-help" || s == "--help" || s == "--h"
}

// matchVerb finds the verb whose words begin args, longest name first.
func matchVerb(cmd command, args []string) (verb, []string, bool) {
	best, bestLen := verb{}, 0
	for _, v := range cmd.Verbs {
		words := strings.Fields(v.Name)
		if len(words) <= bestLen || len(words) > len(args) {
			continue
		}
		match := true
		for i, w := range words {
			if args[i] != w {
				match = false
				break
			}
		}
		if match {
			best, bestLen = v, len(words)
		}
	}
	return best, args[min(bestLen, len(args)):], bestLen > 0
}

// parseInterleaved parses flags that may come before, between and after
// positional arguments; "--" ends the flags.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func verbNames(c command) string {
	names := make([]string, len(c.Verbs))
	for i, v := range c.Verbs {
		names[i] = v.Name
	}
	return strings.Join(names, ", ")
}

func help(w io.Writer, args []string) (int, error) {
	if len(args) == 0 {
		printOverview(w)
		return 0, nil
	}
	cmd, ok := findCommand(args[0])
	if !ok {
		return 2, hinted{fmt.Errorf("unknown command %q", args[0]), "smsctl help"}
	}
	if len(args) == 1 {
		printCommand(w, cmd)
		return 0, nil
	}
	v, _, ok := matchVerb(cmd, args[1:])
	if !ok {
		return 2, hinted{fmt.Errorf("smsctl %s has no verb %q", cmd.Name, args[1]), "smsctl " + cmd.Name + " --help"}
	}
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	v.Setup(fs)
	printVerb(w, cmd, v, fs)
	return 0, nil
}

const globalHelp = `global flags (before or after the command):
  --data DIR   data directory (default: the user's config directory + /opensms)
  --json       print JSON instead of a table
`

func printOverview(w io.Writer) {
	fmt.Fprint(w, "smsctl administers OpenSMS without a display.\n\nusage: smsctl [--data DIR] [--json] <command> <verb> [flags] [args]\n\ncommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.Name, c.Summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\n"+globalHelp+"\nRun 'smsctl <command> --help' for its verbs.\n")
}

func printCommand(w io.Writer, c command) {
	fmt.Fprintf(w, "smsctl %s: %s\n\nverbs:\n", c.Name, c.Summary)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range c.Verbs {
		fmt.Fprintf(tw, "  %s %s\t%s\n", v.Name, v.Args, v.Summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\nRun 'smsctl %s <verb> --help' for its flags.\n", globalHelp, c.Name)
}

func printVerb(w io.Writer, c command, v verb, fs *flag.FlagSet) {
	synopsis := v.Usage
	if synopsis == "" {
		synopsis = "[flags] " + v.Args
	}
	fmt.Fprintf(w, "usage: smsctl %s %s %s\n\n%s.\n", c.Name, v.Name, strings.TrimSpace(synopsis), upperFirst(v.Summary))
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "data" && f.Name != "json" {
			names = append(names, f.Name)
		}
	})
	if len(names) > 0 {
		sort.Strings(names)
		fmt.Fprint(w, "\nflags:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, n := range names {
			f := fs.Lookup(n)
			arg, usage := flag.UnquoteUsage(f)
			if arg != "" {
				arg = " " + strings.ToUpper(arg)
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(tw, "  --%s%s\t%s%s\n", n, arg, usage, def)
		}
		tw.Flush()
	}
	fmt.Fprint(w, "\n"+globalHelp)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
