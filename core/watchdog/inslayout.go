package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// insFound is where a computer's instruction file is on a site share, in
// each layout: its size and time as listed, nil where there is none.
type insFound struct {
	flat, sharded *insRecord
}

// in returns the file in layout, nil when there is none.
func (f insFound) in(layout int) *insRecord {
	if layout == protocol.LayoutFlat {
		return f.flat
	}
	return f.sharded
}

// insListing is what the instructions folder of a site share holds.
type insListing struct {
	files  map[string]insFound // computer → its files
	shards map[string]bool     // shard folders that exist
}

// seenShard is what the listing of a shard folder of instruction files
// saw. As with status folders (see collect), a shard is trusted unchanged
// only after two listings at the same folder time, so that a change within
// the clock tick of the first is not missed, and listed again after
// statusRecheck in any case. A file added, removed or renamed in it by
// anyone changes the folder's time; the watchdog forgets the shards it
// writes to, so they are listed again.
type seenShard struct {
	mtime     int64
	confirmed bool
	listed    time.Time
	files     map[string]insRecord // computer → its file as listed
}

// listInstructions lists instructions/ and those of its shard folders
// that changed since they were last seen (see seenShard): at 10,000
// computers, listing 256 folders on every cycle cost more than the
// cycle's other requests to the site share. A
// folder where a computer's instruction file belongs, or a file where a
// shard folder belongs (anyone who writes the share can make one), would
// block those computers for good: it goes, with an event, and the files
// are written in its place.
func (s *Service) listInstructions(ctx context.Context, w *world, code string, fsys share.FS) (insListing, error) {
	out := insListing{files: map[string]insFound{}, shards: map[string]bool{}}
	list, err := fsys.ReadDir(protocol.InstructionsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("site %s: listing %s: %w", code, protocol.InstructionsDir, err)
	}
	var shards []string
	times := map[string]int64{} // shard → its folder's time as listed
	for _, fi := range list {
		n := fi.Name()
		switch {
		case share.IsTemp(n):
		case protocol.IsInstructionsShard(n) && fi.IsDir():
			shards = append(shards, n)
			out.shards[n] = true
			times[n] = fi.ModTime().UnixNano()
		case protocol.IsInstructionsShard(n):
			s.removePlanted(ctx, code, fsys, path.Join(protocol.InstructionsDir, n), "a file planted at %s, where a folder of instruction files belongs")
		case strings.HasSuffix(n, protocol.InstructionsExt) && fi.IsDir():
			s.removePlanted(ctx, code, fsys, path.Join(protocol.InstructionsDir, n), "a folder planted at %s, where an instruction file belongs")
		case !fi.IsDir():
			if c, ok := protocol.InstructionsComputer("", n); ok {
				f := out.files[c]
				f.flat = &insRecord{Size: fi.Size(), MTime: fi.ModTime().UnixNano(), Layout: protocol.LayoutFlat}
				out.files[c] = f
			}
		}
	}
	sort.Strings(shards)
	if s.cs.insShards == nil {
		s.cs.insShards = map[string]seenShard{}
	}
	for key := range s.cs.insShards {
		if c, shard, _ := strings.Cut(key, "/"); c == code && !out.shards[shard] {
			delete(s.cs.insShards, key)
		}
	}
	now := s.cfg.Now()
	type shardList struct {
		shard string
		prev  seenShard
		known bool
		list  []fs.FileInfo
		err   error
	}
	var lists []*shardList
	for _, shard := range shards {
		prev, known := s.cs.insShards[code+"/"+shard]
		if known && prev.mtime == times[shard] && prev.confirmed && now.Sub(prev.listed) < statusRecheck {
			for c, rec := range prev.files {
				f := out.files[c]
				f.sharded = &rec
				out.files[c] = f
			}
			continue
		}
		lists = append(lists, &shardList{shard: shard, prev: prev, known: known})
	}
	// A few at a time over the site's sessions; one that fails (go-smb2
	// asks for a listing's reply as large as the session's largest, which
	// the server may refuse while other requests hold the session's
	// credits) is tried again alone.
	s.fanOut(ctx, w, code, fsys, len(lists), func(ctx context.Context, fsys share.FS, i int) {
		l := lists[i]
		l.list, l.err = fsys.ReadDir(path.Join(protocol.InstructionsDir, l.shard))
	})
	for _, l := range lists {
		key, dir := code+"/"+l.shard, path.Join(protocol.InstructionsDir, l.shard)
		if l.err != nil && !errors.Is(l.err, fs.ErrNotExist) {
			l.list, l.err = fsys.ReadDir(dir)
		}
		if errors.Is(l.err, fs.ErrNotExist) {
			delete(out.shards, l.shard)
			delete(s.cs.insShards, key)
			continue
		}
		if l.err != nil {
			return out, fmt.Errorf("site %s: listing %s: %w", code, dir, l.err)
		}
		mtime := times[l.shard]
		seen := seenShard{mtime: mtime, confirmed: l.known && l.prev.mtime == mtime, listed: now, files: map[string]insRecord{}}
		for _, fi := range l.list {
			n := fi.Name()
			if share.IsTemp(n) || !strings.HasSuffix(n, protocol.InstructionsExt) {
				continue
			}
			if fi.IsDir() {
				s.removePlanted(ctx, code, fsys, path.Join(dir, n), "a folder planted at %s, where an instruction file belongs")
				seen.confirmed = false // its removal changed the folder
				continue
			}
			if c, ok := protocol.InstructionsComputer(l.shard, n); ok {
				rec := insRecord{Size: fi.Size(), MTime: fi.ModTime().UnixNano(), Layout: protocol.LayoutSharded}
				seen.files[c] = rec
				f := out.files[c]
				f.sharded = &rec
				out.files[c] = f
			}
		}
		s.cs.insShards[key] = seen
	}
	return out, nil
}

// removePlanted removes what someone put where the watchdog's files or
// folders belong, and says so.
func (s *Service) removePlanted(ctx context.Context, code string, fsys share.FS, name, what string) {
	err := fsys.RemoveAll(name)
	s.event(ctx, model.Event{Severity: model.SevWarning, Site: code,
		Message: fmt.Sprintf("site %s: removed %s%s", code, fmt.Sprintf(what, name), errSuffix(err))})
}

// insLayout is the layout a computer's instruction file is written in:
// sharded, unless the computer's last inventory came from a client that
// reads only the flat layout (an older OpenSMS, which says no layout). A
// computer the site no longer knows keeps its file where it is, to be
// emptied there.
func insLayout(w *world, c string, found insFound) int {
	if comp, ok := w.computers[c]; ok {
		if comp.Inventory != nil && comp.Inventory.InstructionsLayout < protocol.LayoutSharded {
			return protocol.LayoutFlat
		}
		return protocol.LayoutSharded
	}
	if found.flat != nil && found.sharded == nil {
		return protocol.LayoutFlat
	}
	return protocol.LayoutSharded
}

// otherLayout is the layout a computer's file is not written in.
func otherLayout(layout int) int {
	if layout == protocol.LayoutFlat {
		return protocol.LayoutSharded
	}
	return protocol.LayoutFlat
}

// makeInsFolders makes the staging folder and the shard folders that
// names (files about to be written) need and the listing did not show,
// a few at a time (the first cycle of a site makes all 256).
func (s *Service) makeInsFolders(ctx context.Context, w *world, code string, fsys share.FS, names []string, shards map[string]bool) error {
	if err := fsys.MkdirAll(insStaging); err != nil {
		return fmt.Errorf("site %s: creating %s: %w", code, insStaging, err)
	}
	var dirs []string
	for _, n := range names {
		dir := path.Dir(n)
		if shard := path.Base(dir); dir != protocol.InstructionsDir && !shards[shard] {
			shards[shard] = true
			dirs = append(dirs, dir)
		}
	}
	errs := make([]error, len(dirs))
	s.fanOut(ctx, w, code, fsys, len(dirs), func(ctx context.Context, fsys share.FS, i int) {
		errs[i] = share.MakeFolder(fsys, dirs[i])
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("site %s: creating %s: %w", code, dirs[i], err)
		}
	}
	return ctx.Err()
}

// removeOtherLayout removes a computer's file from the layout it is no
// longer written in, once its file is in place where it belongs: a client
// reads the sharded file first, and an older one reads only the flat
// file, so the file left behind would be read by nobody, or by a client
// that must not read it any more (it would see nothing newer). A removal
// that fails is tried again next cycle, when the listing shows the file
// still there.
func (s *Service) removeOtherLayout(ctx context.Context, w *world, code string, fsys share.FS, found insListing, layout map[string]int, inPlace map[string]bool) {
	var gone []string
	for c, l := range layout {
		if inPlace[c] && found.files[c].in(otherLayout(l)) != nil {
			if name, err := protocol.InstructionsPathIn(otherLayout(l), c); err == nil {
				gone = append(gone, name)
			}
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		s.forgetShard(code, name)
	}
	s.fanOut(ctx, w, code, fsys, len(gone), func(ctx context.Context, fsys share.FS, i int) {
		if err := fsys.Remove(gone[i]); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log.Warn("removing an instruction file of the other layout; trying again next cycle", "site", code, "file", gone[i], "err", s.sentence(err))
		}
	})
}

// forgetShard makes the next cycle list the shard folder of file name (an
// instruction file written or removed there).
func (s *Service) forgetShard(code, name string) {
	if dir := path.Dir(name); path.Dir(dir) == protocol.InstructionsDir {
		delete(s.cs.insShards, code+"/"+path.Base(dir))
	}
}
