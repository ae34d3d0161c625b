package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"opensms/storage/storedir"
)

func init() {
	register(command{Name: "backup", Summary: "write the whole site (store, site keys, secrets) to one file sealed with a passphrase", Verbs: []verb{
		{Args: "FILE", NArgs: 1, Summary: "write the site in --data to FILE, sealed with the passphrase", Setup: siteBackup,
			Usage: "FILE --passphrase-env VAR"},
	}})
	register(command{Name: "restore", Summary: "bring a site back from a backup file into an empty data directory", Verbs: []verb{
		{Args: "FILE", NArgs: 1, Summary: "restore the site in FILE into --data, which must hold no store", Setup: siteRestore,
			Usage: "FILE --passphrase-env VAR"},
	}})
}

// Store kinds in a backup's header.
const (
	backupSite   = "site"
	backupClient = "client"
)

// passphraseFlag adds --passphrase-env to fs; read returns the passphrase.
func passphraseFlag(fs *flag.FlagSet) func() (string, error) {
	name := fs.String("passphrase-env", "", "environment variable `VAR` holding the passphrase that seals the backup (never on the command line)")
	return func() (string, error) {
		if *name == "" {
			return "", usagef("--passphrase-env is required: the backup holds the site's keys and passwords")
		}
		v, ok := os.LookupEnv(*name)
		if !ok || v == "" {
			return "", usagef("environment variable %s named by --passphrase-env is not set or empty", *name)
		}
		if len(v) < storedir.MinPassphrase {
			return "", usagef("the passphrase in %s is %d characters; a backup needs at least %d", *name, len(v), storedir.MinPassphrase)
		}
		return v, nil
	}
}

// writeSealed writes a sealed backup of one store to file: under a
// temporary name, owner-only, renamed into place once complete, never over
// an existing file.
func writeSealed(file, kind, passphrase string, write func(w io.Writer) error) error {
	if _, err := os.Lstat(file); err == nil {
		return usagef("%s exists: give another file name (a backup never replaces a file)", file)
	}
	f, err := os.CreateTemp(filepath.Dir(file), filepath.Base(file)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating the backup %s: %w", file, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	sw, err := storedir.Seal(f, kind, passphrase, time.Now())
	if err == nil {
		err = write(sw)
	}
	if err == nil {
		err = sw.Close()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, file) // never over a file made meanwhile
	}
	if err != nil {
		return fmt.Errorf("writing the backup %s: %w", file, err)
	}
	return nil
}

// readSealed opens a sealed backup of the given kind and hands its stream
// to restore.
func readSealed(file, kind, passphrase string, restore func(r io.Reader) error) (storedir.BackupHeader, error) {
	f, err := os.Open(file)
	if err != nil {
		return storedir.BackupHeader{}, usagef("cannot read the backup: %v", err)
	}
	defer f.Close()
	h, r, err := storedir.Unseal(f, passphrase)
	switch {
	case errors.Is(err, storedir.ErrPassphrase):
		return h, usagef("the passphrase does not open %s (or the file was changed since it was written); nothing was restored", file)
	case err != nil:
		return h, usagef("%s: %v", file, err)
	case h.Store != kind:
		return h, usagef("%s is a backup of a %s store, not of a %s store", file, h.Store, kind)
	}
	return h, restore(r)
}

// sealedVerb is a backup or restore verb: it reads the passphrase and the
// data directory (dirOf), then does the rest with FILE.
func sealedVerb(fs *flag.FlagSet, dirOf func(*env) (string, error), do func(ctx context.Context, e *env, dir, passphrase, file string) error) runFunc {
	pass := passphraseFlag(fs)
	return func(ctx context.Context, e *env, args []string) error {
		p, err := pass()
		if err != nil {
			return err
		}
		dir, err := dirOf(e)
		if err != nil {
			return err
		}
		return do(ctx, e, dir, p, args[0])
	}
}

// siteBackup asks the Administrator API for the store: the site service's
// while it runs (the site need not stop), else the store in this process.
func siteBackup(fs *flag.FlagSet) runFunc {
	return sealedVerb(fs, (*env).DataDir, func(ctx context.Context, e *env, dir, p, file string) error {
		api, err := e.api(ctx)
		if err != nil {
			return err
		}
		err = writeSealed(file, backupSite, p, func(w io.Writer) error {
			check := storedir.NewStreamCheck()
			if err := api.BackupStore(ctx, io.MultiWriter(w, check)); err != nil {
				return err
			}
			return check.Complete()
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote the site in %s to %s; keep the passphrase apart from it\n", dir, file)
		return nil
	})
}

func siteRestore(fs *flag.FlagSet) runFunc {
	return sealedVerb(fs, (*env).DataDir, func(ctx context.Context, e *env, dir, p, file string) error {
		h, err := readSealed(file, backupSite, p, func(r io.Reader) error { return e.restore(dir, r) })
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "restored the site backed up at %s into %s\n", h.Created.Local().Format(time.DateTime), dir)
		return nil
	})
}
