package badgerstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

// The rules that keep a record a job still needs: a package, a server or
// a machine group that a job which has not finished uses is refused deletion
// inside the deleting transaction, with a sentence naming the jobs.

// maxNamedJobs bounds how many jobs a refusal names.
const maxNamedJobs = 5

// unfinishedJobs returns the jobs that have not finished and for which uses
// reports true.
func unfinishedJobs(ctx context.Context, txn *badger.Txn, uses func(model.Job) bool) ([]model.Job, error) {
	var out []model.Job
	err := each(ctx, txn, scan(prefixJob), false, func(_ []byte, j model.Job) (bool, error) {
		if !j.Status.State.Final() && uses(j) {
			out = append(out, j)
		}
		return true, nil
	})
	return out, err
}

// usedBy says which jobs hold the record and what to do: "job S0100003,
// which is active: cancel it or wait until it finishes".
func usedBy(jobs []model.Job) string {
	if len(jobs) == 1 {
		return fmt.Sprintf("job %s, which is %s: cancel it or wait until it finishes", jobs[0].ID, jobs[0].Status.State)
	}
	names := make([]string, 0, maxNamedJobs)
	for i, j := range jobs {
		if i == maxNamedJobs {
			names = append(names, fmt.Sprintf("%d more", len(jobs)-i))
			break
		}
		names = append(names, fmt.Sprintf("%s (%s)", j.ID, j.Status.State))
	}
	return fmt.Sprintf("jobs %s: cancel them or wait until they finish", strings.Join(names, ", "))
}

// mustBeNew fails with alreadyExists(format, args...) when k is set.
func mustBeNew(txn *badger.Txn, k []byte, format string, args ...any) error {
	ok, err := exists(txn, k)
	if err == nil && ok {
		err = alreadyExists(format, args...)
	}
	return err
}

// storing adds what was being stored to an error the store did not word
// itself; its own sentences about the input ("site S01 already exists")
// stand as they are.
func storing(err error, format string, args ...any) error {
	if _, ok := err.(*storeError); ok {
		return err
	}
	if _, ok := err.(interface{ Is(error) bool }); ok {
		return err
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
