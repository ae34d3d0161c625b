// Package query evaluates machine group queries: boolean expressions over a
// computer's inventory, such as
//
//	os == "linux" and memory_mb >= 4096 and not ("S0100012" in installed)
//	any(software, .name == "curl" and .version >= "7.88")
//	name matches "^LAB-" or site in ["S01", "S02"]
//
// with the expr language (github.com/expr-lang/expr): a query is compiled
// once, type-checked against the names of Env (a misspelt name or a query
// that is not true/false is refused when it is written, with the library's
// message and position), and runs without side effects on one computer's
// Env at a time.
package query

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"opensms/core/model"
)

// Env is what a query sees of one computer. The expr tags are the names a
// query uses; every one is listed in Names.
type Env struct {
	Name          string `expr:"name"`
	Site          string `expr:"site"`
	Platform      string `expr:"platform"` // GOOS/GOARCH, e.g. "windows/amd64"
	OS            string `expr:"os"`       // GOOS: "linux", "windows", "darwin"
	OSName        string `expr:"os_name"`  // "debian", "Microsoft Windows 11 Pro"
	OSRelease     string `expr:"os_release"`
	OSVersion     string `expr:"os_version"` // the system's full name and version
	Kernel        string `expr:"kernel"`
	Arch          string `expr:"arch"`
	ClientVersion string `expr:"client_version"`
	CPUModel      string `expr:"cpu_model"`
	CPUs          int    `expr:"cpus"`
	MemoryMB      int    `expr:"memory_mb"`
	// DiskFreeMB is what is free where the client keeps its packages (the
	// disk installs land on); DiskTotalMB the size of every disk.
	DiskFreeMB  int `expr:"disk_free_mb"`
	DiskTotalMB int `expr:"disk_total_mb"`
	// Software points into the inventory: expr reads list items through
	// reflection, and a pointer is read without copying the item.
	Software  []*model.Software `expr:"software"`
	Installed []string          `expr:"installed"`
	Users     []string          `expr:"users"`
	Addresses []string          `expr:"addresses"`
	// Reported is false for a computer whose client has not reported an
	// inventory yet (only name, site and platform are known).
	Reported bool `expr:"reported"`

	// vars is the same as a map by expr name: expr reads a map[string]any
	// environment without reflection (a struct's fields cost an allocation
	// per read, which at half a million evaluations a cycle is most of it).
	vars map[string]any
}

// variables returns e by expr name (its tags).
func (e *Env) variables() map[string]any {
	if e.vars != nil {
		return e.vars
	}
	m := map[string]any{
		"name": e.Name, "site": e.Site, "platform": e.Platform, "os": e.OS, "os_name": e.OSName,
		"os_release": e.OSRelease, "os_version": e.OSVersion, "kernel": e.Kernel, "arch": e.Arch,
		"client_version": e.ClientVersion, "cpu_model": e.CPUModel, "cpus": e.CPUs, "memory_mb": e.MemoryMB,
		"disk_free_mb": e.DiskFreeMB, "disk_total_mb": e.DiskTotalMB, "software": e.Software,
		"installed": e.Installed, "users": e.Users, "addresses": e.Addresses, "reported": e.Reported,
	}
	// Nil lists are empty lists to a query, with their type kept.
	for k, v := range m {
		switch l := v.(type) {
		case []string:
			if l == nil {
				m[k] = []string{}
			}
		case []*model.Software:
			if l == nil {
				m[k] = []*model.Software{}
			}
		}
	}
	e.vars = m
	return m
}

// Names lists the names a query may use, for help texts.
var Names = []string{"name", "site", "platform", "os", "os_name", "os_release", "os_version", "kernel", "arch",
	"client_version", "cpu_model", "cpus", "memory_mb", "disk_free_mb", "disk_total_mb",
	"software (a list of {name, version, publisher})", "installed (package IDs)", "users", "addresses", "reported"}

const mb = 1 << 20

// EnvOf is the computer as a query sees it.
func EnvOf(c model.Computer) Env {
	e := Env{Name: c.Name, Site: c.Site, Platform: string(c.Platform)}
	e.OS, e.Arch, _ = strings.Cut(e.Platform, "/")
	inv := c.Inventory
	if inv == nil {
		e.variables()
		return e
	}
	e.Reported = true
	if inv.OS != "" {
		e.OS, e.Arch = inv.OS, inv.Arch
	}
	e.OSName, e.OSRelease, e.OSVersion, e.Kernel = inv.OSName, inv.OSRelease, inv.OSVersion, inv.Kernel
	e.ClientVersion, e.CPUModel, e.CPUs = inv.ClientVersion, inv.CPUModel, inv.CPUs
	e.MemoryMB = int(inv.Memory / mb)
	e.DiskFreeMB = int(inv.FreeDisk / mb)
	for _, d := range inv.Disks {
		e.DiskTotalMB += int(d.Size / mb)
	}
	e.Installed, e.Users, e.Addresses = inv.Installed, inv.Users, inv.Addresses
	e.Software = make([]*model.Software, len(inv.Software))
	for i := range inv.Software {
		e.Software[i] = &inv.Software[i]
	}
	e.variables()
	return e
}

// inStrings makes `"x" in installed` (and users, addresses) a plain loop
// rather than the reflection expr's general "in" uses: at 10,000 computers
// and 50 groups a cycle runs it half a million times.
func inStrings() []expr.Option {
	return []expr.Option{
		expr.Function("in_strings", func(p ...any) (any, error) {
			s, _ := p[0].(string)
			list, _ := p[1].([]string)
			return slices.Contains(list, s), nil
		}, new(func(string, []string) bool)),
		expr.Operator("in", "in_strings"),
	}
}

// Query is a compiled query.
type Query struct {
	src  string
	prog *vm.Program
}

// Error is a query that does not compile: the library's message and where.
type Error struct {
	Query   string
	Message string
	Line    int // 1 is the first
	Column  int // 1 is the first character
}

func (e *Error) Error() string {
	where := fmt.Sprintf("at column %d", e.Column)
	if strings.Contains(e.Query, "\n") {
		where = fmt.Sprintf("at line %d, column %d", e.Line, e.Column)
	}
	return fmt.Sprintf("the query %q does not compile: %s %s", e.Query, e.Message, where)
}

// Is makes a compile error bad input (model.ErrInvalid).
func (e *Error) Is(target error) bool { return target == model.ErrInvalid }

// MaxLen bounds a query's length.
const MaxLen = 4096

// Compile checks and compiles a query. It fails with an *Error.
func Compile(src string) (*Query, error) {
	src = strings.TrimSpace(src)
	switch {
	case src == "":
		return nil, &Error{Query: src, Message: "it is empty", Line: 1, Column: 1}
	case len(src) > MaxLen:
		return nil, &Error{Query: src[:40] + "…", Message: fmt.Sprintf("it is longer than %d characters", MaxLen), Line: 1, Column: MaxLen}
	}
	prog, err := expr.Compile(src, append(inStrings(), expr.Env((&Env{}).variables()), expr.AsBool())...)
	if err != nil {
		qe := &Error{Query: src, Message: err.Error(), Line: 1, Column: 1}
		var fe *file.Error
		if errors.As(err, &fe) {
			qe.Message, qe.Line, qe.Column = fe.Message, fe.Line, fe.Column+1
		}
		return nil, qe
	}
	return &Query{src: src, prog: prog}, nil
}

// String returns the query as written.
func (q *Query) String() string { return q.src }

// Evaluator runs queries. It reuses one virtual machine, so it is not safe
// for concurrent use; make one per goroutine.
type Evaluator struct {
	vm vm.VM
}

// Match reports whether the query holds for env. An error is a query that
// failed while it ran (a division by zero): the computer does not match.
func (ev *Evaluator) Match(q *Query, env *Env) (bool, error) {
	out, err := ev.vm.Run(q.prog, env.variables())
	if err != nil {
		return false, fmt.Errorf("query %q: %w", q.src, err)
	}
	b, _ := out.(bool)
	return b, nil
}

// MatchAll reports for each env whether q holds there (false where it
// failed while running), spreading the work over up to workers goroutines
// (each with its own Evaluator; all have ended when it returns). The error
// is the first failure, if any.
func MatchAll(q *Query, envs []*Env, workers int) ([]bool, error) {
	out := make([]bool, len(envs))
	workers = max(1, min(workers, len(envs)/1000+1)) // small lists: not worth a goroutine
	errs := make([]error, workers)
	var wg sync.WaitGroup
	chunk := (len(envs) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(envs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ev Evaluator
			for i := lo; i < hi; i++ {
				ok, err := ev.Match(q, envs[i])
				if err != nil && errs[w] == nil {
					errs[w] = err
				}
				out[i] = ok
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return out, err
		}
	}
	return out, nil
}
