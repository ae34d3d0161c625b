package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

// CreateJob validates j, checks that its package exists, gives it the next
// ID and stores it as given.
func (s *Store) CreateJob(ctx context.Context, j model.Job) (model.Job, error) {
	j.ID = ""
	if err := j.Validate(); err != nil {
		return model.Job{}, err
	}
	if _, err := s.HomeSite(ctx); err != nil {
		return model.Job{}, err
	}
	// Checked before numbering too, so that a job refused for a missing
	// package does not use up an ID.
	pk := key(prefixPackage, j.Package)
	err := s.view(ctx, func(txn *badger.Txn) error { return mustExist(txn, pk, "package %s", j.Package) })
	if err != nil {
		return model.Job{}, err
	}
	id, err := s.nextID(ctx, "job", s.seqJob)
	if err != nil {
		return model.Job{}, err
	}
	j.ID = id
	if j.Created.IsZero() {
		j.Created = now()
	}
	b, err := encode(j)
	if err != nil {
		return model.Job{}, err
	}
	k := key(prefixJob, j.ID)
	err = s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, pk, "package %s", j.Package); err != nil {
			return err
		}
		if ok, err := exists(txn, k); err != nil {
			return err
		} else if ok {
			return alreadyExists("job %s", j.ID)
		}
		return txn.Set(k, b)
	})
	if err != nil {
		return model.Job{}, fmt.Errorf("storing job %s: %w", j.ID, err)
	}
	return j, nil
}

// UpdateJob replaces a stored job, keeping its Created time.
func (s *Store) UpdateJob(ctx context.Context, j model.Job) error {
	if err := model.ValidJobID(j.ID); err != nil {
		return err
	}
	if err := j.Validate(); err != nil {
		return err
	}
	old, err := s.GetJob(ctx, j.ID)
	if err != nil {
		return err
	}
	j.Created = old.Created
	b, err := encode(j)
	if err != nil {
		return err
	}
	k := key(prefixJob, j.ID)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, k, "job %s", j.ID); err != nil {
			return err
		}
		return txn.Set(k, b)
	})
}

// GetJob returns one job.
func (s *Store) GetJob(ctx context.Context, id string) (model.Job, error) {
	var j model.Job
	err := s.view(ctx, func(txn *badger.Txn) error { return getJSON(txn, key(prefixJob, id), &j) })
	return j, missing(err, "job %s", id)
}

// ListJobs returns every job, by ID.
func (s *Store) ListJobs(ctx context.Context) ([]model.Job, error) {
	return list[model.Job](ctx, s, scan(prefixJob))
}

// DeleteJob removes a job and its per-computer statuses. The statuses go
// first, so that a crash half-way leaves a job to delete again rather than
// statuses nobody can list.
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	jk := key(prefixJob, id)
	var ks [][]byte
	err := s.view(ctx, func(txn *badger.Txn) (err error) {
		if err := mustExist(txn, jk, "job %s", id); err != nil {
			return err
		}
		ks, err = keys(ctx, txn, scan(prefixTarget, id))
		return err
	})
	if err != nil {
		return err
	}
	ks = append(ks, jk)
	return s.batch(ctx, len(ks), func(txn *badger.Txn, i int) error { return txn.Delete(ks[i]) })
}

// PutTargetStatuses adds or replaces per-computer statuses of existing
// jobs; computer names are upper-cased.
func (s *Store) PutTargetStatuses(ctx context.Context, ts ...model.TargetStatus) error {
	type entry struct{ k, v []byte }
	entries := make([]entry, len(ts))
	var jobs []string
	for i, t := range ts {
		t.Computer = model.NormalizeComputerName(t.Computer)
		if err := model.ValidJobID(t.Job); err != nil {
			return err
		}
		if err := model.ValidComputerName(t.Computer); err != nil {
			return fmt.Errorf("status of job %s: %w", t.Job, err)
		}
		if !t.State.Valid() {
			return &storeError{msg: fmt.Sprintf("status of job %s on %s: state %q is not a computer state", t.Job, t.Computer, t.State), kind: model.ErrInvalid}
		}
		v, err := encode(t)
		if err != nil {
			return err
		}
		entries[i] = entry{key(prefixTarget, t.Job, t.Computer), v}
		if len(jobs) == 0 || jobs[len(jobs)-1] != t.Job {
			jobs = append(jobs, t.Job)
		}
	}
	return s.batch(ctx, len(entries), func(txn *badger.Txn, i int) error {
		// Reading the job in the same transaction makes a concurrent
		// DeleteJob conflict with this one instead of leaving orphans.
		if i == 0 {
			for _, j := range jobs {
				if err := mustExist(txn, key(prefixJob, j), "job %s", j); err != nil {
					return err
				}
			}
		}
		return txn.Set(entries[i].k, entries[i].v)
	})
}

// ListTargetStatuses returns a job's per-computer statuses, by computer
// name.
func (s *Store) ListTargetStatuses(ctx context.Context, job string) ([]model.TargetStatus, error) {
	return list[model.TargetStatus](ctx, s, scan(prefixTarget, job))
}
