package watchdog

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"opensms/core/protocol"
)

// insIndexFile is where a Service keeps, between runs, what the
// instruction files it wrote hold, under Config.StateDir.
const (
	insIndexFile   = "instructions.json"
	insIndexFormat = "opensms-watchdog-instructions/1"
)

// insRecord is what one instruction file holds (its digest) and how the
// share listed it. A restarted watchdog trusts the digest of a file whose
// size and time are still these, instead of reading 10,000 files back.
type insRecord struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	// MTime is the file's time in Unix nanoseconds as the share listed it;
	// 0 until the first listing after the write.
	MTime int64 `json:"mtime,omitempty"`
	// Sequence and ValidUntil are the file's number and validity: the next
	// file is numbered above it, and is written before the validity runs
	// low even when the offers are the same.
	Sequence   uint64    `json:"sequence,omitempty"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Layout is where the file is (protocol.LayoutFlat or LayoutSharded;
	// 0, from an index written before there were layouts, is flat).
	Layout int `json:"layout,omitempty"`
	// Offers are the file's offers as offerEntries name them (nil when
	// not known: an index of an older version), so that an offer a
	// client's result made moot can stay (see settledSet).
	Offers []string `json:"offers,omitempty"`
}

// layout is where the file is.
func (r insRecord) layout() int {
	if r.Layout == 0 {
		return protocol.LayoutFlat
	}
	return r.Layout
}

type insIndexDoc struct {
	Format string               `json:"format"`
	Files  map[string]insRecord `json:"files"` // "SITE/COMPUTER"
}

// loadInsIndex reads the index once per Service. A missing, unreadable or
// foreign file is an empty index: it costs a re-read, never a wrong offer.
func (s *Service) loadInsIndex() {
	if s.cs.insSaved != nil {
		return
	}
	s.cs.insSaved = map[string]insRecord{}
	if s.cfg.StateDir == "" {
		return
	}
	data, err := os.ReadFile(filepath.Join(s.cfg.StateDir, insIndexFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("reading the instruction file index; the files will be read back instead", "err", err)
		}
		return
	}
	var doc insIndexDoc
	if err := json.Unmarshal(data, &doc); err != nil || doc.Format != insIndexFormat {
		s.log.Warn("ignoring the instruction file index", "file", filepath.Join(s.cfg.StateDir, insIndexFile), "format", doc.Format, "err", err)
		return
	}
	if doc.Files != nil {
		s.cs.insSaved = doc.Files
	}
}

// saveInsIndex writes the index when it changed, atomically. A failure is
// logged: the next restart reads the files back.
func (s *Service) saveInsIndex() {
	if !s.cs.insDirty || s.cfg.StateDir == "" {
		return
	}
	err := writeLocalAtomic(filepath.Join(s.cfg.StateDir, insIndexFile), insIndexDoc{Format: insIndexFormat, Files: s.cs.insSaved})
	if err != nil {
		s.log.Warn("saving the instruction file index", "err", err)
		return
	}
	s.cs.insDirty = false
}

func writeLocalAtomic(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", name, err)
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return fmt.Errorf("creating the folder of %s: %w", name, err)
	}
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", name, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
