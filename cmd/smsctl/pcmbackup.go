package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"opensms/storage/clientstore"
)

func init() {
	registerVerbs("pcm",
		verb{Name: "backup", Args: "FILE", NArgs: 1, Summary: "write this computer's client store (enrolment, key, history) to FILE, sealed with a passphrase",
			Setup: pcmBackup, Usage: "FILE --passphrase-env VAR"},
		verb{Name: "restore", Args: "FILE", NArgs: 1, Summary: "restore a client store from FILE into --data, which must hold none",
			Setup: pcmRestore, Usage: "FILE --passphrase-env VAR"})
}

func pcmBackup(fs *flag.FlagSet) runFunc {
	return sealedVerb(fs, pcmDataDir, func(ctx context.Context, e *env, dir, p, file string) error {
		err := writeSealed(file, backupClient, p, func(w io.Writer) error {
			st, err := clientstore.Open(dir)
			if err != nil {
				return err
			}
			return errors.Join(st.Backup(w), st.Close())
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote the client store in %s to %s; keep the passphrase apart from it\n", dir, file)
		return nil
	})
}

func pcmRestore(fs *flag.FlagSet) runFunc {
	return sealedVerb(fs, pcmDataDir, func(ctx context.Context, e *env, dir, p, file string) error {
		h, err := readSealed(file, backupClient, p, func(r io.Reader) error { return clientstore.Restore(dir, r) })
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "restored the client store backed up at %s into %s\n", h.Created.Local().Format(time.DateTime), dir)
		return nil
	})
}
