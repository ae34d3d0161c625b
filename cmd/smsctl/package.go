package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"opensms/core/admin"
	"opensms/core/model"
)

func init() {
	register(command{Name: "package", Summary: "manage packages, their command lines and detection rules", Verbs: append([]verb{
		{Name: "add", Summary: "add a package and print its new ID", Setup: packageAdd,
			Usage: "--name NAME --version V --source DIR|\\\\HOST\\SHARE\\DIR|smb://USER@HOST/SHARE/DIR [--source-user U --source-domain D --source-password-env VAR|--source-password-stdin] [--comment TEXT] [--command-name NAME --command CMD --platform P,P|any [--automated] ...]"},
		{Name: "command add", Args: "ID", NArgs: 1, Summary: "add a command line to a package", Setup: packageCommandAdd,
			Usage: "ID --command-name NAME --command CMD --platform P,P|any [--automated] [--background] [--success-codes 0,1] [--timeout 30m]"},
		{Name: "command rm", Args: "ID NAME", NArgs: 2, Summary: "remove a command line from a package", Setup: packageCommandRm},
		{Name: "import", Args: "FILE", NArgs: 1, Summary: "import a Package Definition File (.pdf, .sms) and print the new ID", Setup: packageImport,
			Usage: "FILE --source DIR|\\\\HOST\\SHARE\\DIR [--source-user U --source-password-env VAR|--source-password-stdin] [--platform P,P|any | --drop-unmapped]"},
		{Name: "list", Summary: "list packages", Setup: packageList},
		{Name: "show", Args: "ID", NArgs: 1, Summary: "show a package and its command lines", Setup: packageShow},
		{Name: "rm", Args: "ID", NArgs: 1, Summary: "remove a package that no unfinished job uses", Setup: packageRm},
	}, detectVerbs...)})
}

// cmdLineFlags are one command line's flags, shared by package add and
// package command add.
type cmdLineFlags struct {
	fs                    *flag.FlagSet
	name, command, plats  string
	automated, background bool
	removes               bool
	codes                 string
	timeout               time.Duration
}

func addCmdLineFlags(fs *flag.FlagSet) *cmdLineFlags {
	c := &cmdLineFlags{fs: fs}
	fs.StringVar(&c.name, "command-name", "", "command line `name`, shown on the client, e.g. Install")
	fs.StringVar(&c.command, "command", "", "the command `line` to run from the package root, e.g. \"sh install.sh\"")
	fs.StringVar(&c.plats, "platform", "", "comma-separated `platforms` it runs on, e.g. linux/amd64,linux/arm64, or any")
	fs.BoolVar(&c.automated, "automated", false, "needs no user input, so it may run unattended")
	fs.BoolVar(&c.background, "background", false, "system background task: may run with nobody logged on")
	fs.BoolVar(&c.removes, "removes", false, "it uninstalls the package: it runs whatever the detection rules say, and must leave them not holding")
	fs.StringVar(&c.codes, "success-codes", "", "comma-separated exit `codes` that mean success (default 0)")
	fs.DurationVar(&c.timeout, "timeout", 0, "stop the command after this `duration`, e.g. 30m (default none)")
	return c
}

// given reports whether any command-line flag was used.
func (c *cmdLineFlags) given() bool {
	for _, n := range []string{"command-name", "command", "platform", "automated", "background", "removes", "success-codes", "timeout"} {
		if flagSet(c.fs, n) {
			return true
		}
	}
	return false
}

func (c *cmdLineFlags) build() (model.CommandLine, error) {
	if err := requireFlags(c.fs, "command-name", "command", "platform"); err != nil {
		return model.CommandLine{}, err
	}
	ps, anyPlatform, err := model.ParseCommandPlatforms(c.plats)
	if err != nil {
		return model.CommandLine{}, err
	}
	cl := model.CommandLine{Name: c.name, Command: c.command, Platforms: ps, AnyPlatform: anyPlatform,
		Automated: c.automated, Background: c.background, Removes: c.removes, Timeout: c.timeout}
	if c.timeout < 0 {
		return cl, usagef("--timeout %s is negative", c.timeout)
	}
	if flagSet(c.fs, "success-codes") {
		if cl.SuccessCodes, err = model.ParseExitCodes(c.codes); err != nil {
			return cl, usagef("--success-codes %q: %v", c.codes, err)
		}
	}
	return cl, nil
}

// absSource makes a relative local --source absolute against the working
// directory, which only smsctl knows; the API checks the rest.
func absSource(s string) string {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	if s == "" || strings.HasPrefix(s, `\\`) || strings.HasPrefix(s, "//") || strings.HasPrefix(lower, "smb://") || strings.HasPrefix(lower, "file://") || filepath.IsAbs(s) {
		return s
	}
	if abs, err := filepath.Abs(s); err == nil {
		return abs
	}
	return s
}

// printPackage prints a new package's ID, or with --json the package.
func printPackage(e *env, p model.Package) error {
	if e.json {
		return e.printJSON(p)
	}
	fmt.Fprintln(e.stdout, p.ID)
	return nil
}

func packageAdd(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "package `name`")
	version := fs.String("version", "", "package `version`")
	source := fs.String("source", "", "source `folder`: a local folder, \\\\host\\share\\folder or smb://[domain;]user@host[:port]/share/folder")
	comment := fs.String("comment", "", "a comment, as `text`")
	publisher := fs.String("publisher", "", "`name` of who made the software")
	shareName := fs.String("share-name", "", "`share` name for Share Package On Server jobs")
	cl := addCmdLineFlags(fs)
	login := addSourceLoginFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		if err := requireFlags(fs, "name", "version", "source"); err != nil {
			return err
		}
		cred, err := login.credentials(e)
		if err != nil {
			return err
		}
		p := model.Package{Name: *name, Version: *version, Publisher: *publisher, Comment: *comment,
			Source: absSource(*source), SourceCredentials: cred, Sharing: model.Sharing{ShareName: *shareName}}
		if cl.given() {
			c, err := cl.build()
			if err != nil {
				return err
			}
			p.Commands = append(p.Commands, c)
		}
		created, err := api.AddPackage(ctx, p)
		if err != nil {
			return err
		}
		return printPackage(e, created)
	})
}

// packageImport reads a Package Definition File; the API parses it with
// core/pdf, the same importer the Administrator's File → Import uses. The
// file does not say where the package's files are, so --source is
// required; command lines whose every platform was dropped (MS-DOS, Windows
// NT on Alpha, …) get --platform, are left out with --drop-unmapped, or the
// import is refused naming them.
func packageImport(fs *flag.FlagSet) runFunc {
	source := fs.String("source", "", "source `folder` holding the package's files")
	platforms := fs.String("platform", "", "`platforms` for command lines the file gives none that exist today, e.g. windows/amd64, or any")
	drop := fs.Bool("drop-unmapped", false, "leave out command lines the file gives no platform that exists today")
	login := addSourceLoginFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		if err := requireFlags(fs, "source"); err != nil {
			return err
		}
		cred, err := login.credentials(e)
		if err != nil {
			return err
		}
		r := admin.ImportRequest{Source: absSource(*source), DropUnmapped: *drop,
			SourceCredentials: admin.Credentials{User: cred.User, Domain: cred.Domain, Password: admin.Password(cred.Password.Reveal())}}
		if *platforms != "" {
			var err error
			if r.Platforms, r.AnyPlatform, err = model.ParseCommandPlatforms(*platforms); err != nil {
				return err
			}
		}
		data, err := os.ReadFile(args[0])
		if errors.Is(err, os.ErrNotExist) {
			return usagef("package definition file %s does not exist", args[0])
		} else if err != nil {
			return fmt.Errorf("reading package definition file %s: %w", args[0], err)
		}
		r.Name, r.Data = args[0], data
		def, err := api.ImportDefinition(ctx, r)
		if err != nil {
			return err
		}
		for _, w := range def.Warnings {
			fmt.Fprintln(e.stderr, "smsctl: warning: "+w)
		}
		return printPackage(e, def.Package)
	})
}

func packageCommandAdd(fs *flag.FlagSet) runFunc {
	cl := addCmdLineFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		c, err := cl.build()
		if err != nil {
			return err
		}
		_, err = api.AddCommand(ctx, args[0], c)
		return err
	})
}

func packageCommandRm(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		_, err := api.RemoveCommand(ctx, args[0], args[1])
		return err
	})
}

func packageList(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		ps, err := api.ListPackages(ctx)
		if err != nil {
			return err
		}
		return list(e, ps, []string{"ID", "NAME", "VERSION", "COMMANDS", "SOURCE"}, func(p model.Package) []string {
			return []string{p.ID, p.Name, p.Version, strconv.Itoa(len(p.Commands)), p.Source}
		})
	})
}

func packageShow(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		p, err := api.GetPackage(ctx, args[0])
		if err != nil {
			return err
		}
		fields := []field{
			{"id", p.ID},
			{"name", p.Name},
			{"version", p.Version},
			{"publisher", orDash(p.Publisher)},
			{"comment", orDash(p.Comment)},
			{"source", p.Source},
			{"source login", orDash(p.SourceCredentials.Login())},
			{"share name", orDash(p.Sharing.ShareName)},
			{"created", when(p.Created)},
		}
		for _, c := range p.Commands {
			var flags []string
			if c.Automated {
				flags = append(flags, "automated")
			}
			if c.Background {
				flags = append(flags, "background")
			}
			if c.Removes {
				flags = append(flags, "removes the package")
			}
			desc := fmt.Sprintf("%s  [%s]  success %s", c.Command, c.PlatformText(), ints(c.SuccessCodes))
			if len(flags) > 0 {
				desc += "  " + strings.Join(flags, ", ")
			}
			if c.Timeout > 0 {
				desc += "  timeout " + c.Timeout.String()
			}
			fields = append(fields, field{"command " + strconv.Quote(c.Name), desc})
		}
		fields = append(fields, detectionFields(p)...)
		return e.show(p, fields)
	})
}

func packageRm(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		return api.DeletePackage(ctx, args[0])
	})
}
