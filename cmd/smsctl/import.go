package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"opensms/core/model"
	"opensms/core/pdf"
)

// packageImport reads a Package Definition File with core/pdf, the same
// importer the Administrator's File → Import uses. The file does not say
// where the package's files are, so --source is required; command lines whose
// every platform was dropped (MS-DOS, Windows NT on Alpha, …) get --platform,
// are left out with --drop-unmapped, or the import is refused naming them.
func packageImport(fs *flag.FlagSet) runFunc {
	source := fs.String("source", "", "source `folder` holding the package's files")
	platforms := fs.String("platform", "", "`platforms` for command lines the file gives none that exist today, e.g. windows/amd64, or any")
	drop := fs.Bool("drop-unmapped", false, "leave out command lines the file gives no platform that exists today")
	return func(ctx context.Context, e *env, args []string) error {
		if err := requireFlags(fs, "source"); err != nil {
			return err
		}
		src, err := packageSource(*source)
		if err != nil {
			return err
		}
		var extra []model.Platform
		var extraAny bool
		if *platforms != "" {
			if extra, extraAny, err = model.ParseCommandPlatforms(*platforms); err != nil {
				return err
			}
		}
		f, err := os.Open(args[0])
		if errors.Is(err, os.ErrNotExist) {
			return usagef("package definition file %s does not exist", args[0])
		} else if err != nil {
			return fmt.Errorf("opening package definition file %s: %w", args[0], err)
		}
		defer f.Close()
		res, err := pdf.Parse(f)
		if err != nil {
			return usagef("%s: %v", args[0], err)
		}
		p := res.Package
		kept := p.Commands[:0]
		for _, c := range p.Commands {
			switch {
			case len(c.Platforms) > 0 || c.AnyPlatform:
			case extra != nil || extraAny:
				c.Platforms, c.AnyPlatform = extra, extraAny
			case *drop:
				res.Warnings = append(res.Warnings, fmt.Sprintf("command line %q left out: no platform it names exists today", c.Name))
				continue
			default:
				return usagef("%s: command line %q names no platform that exists today; give one with --platform, or --drop-unmapped", args[0], c.Name)
			}
			kept = append(kept, c)
		}
		p.Commands = kept
		now := time.Now().UTC()
		p.Source, p.Created, p.Updated = src, now, now
		for _, w := range res.Warnings {
			fmt.Fprintln(e.stderr, "smsctl: warning: "+w)
		}
		return createPackage(ctx, e, p)
	}
}
