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
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
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
// rather than the reflection expr's general "in" uses, for type-checking:
// Compile checks a query with these options, the same as when the fast
// paths below did not exist, so that what a query means and the sentence
// refusing a bad one do not depend on them.
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

// fastPaths rewrites, in a query that has type-checked, the two things a
// cycle runs most into calls of Go functions that expr's machine calls
// without allocating: at 10,000 computers and 50 groups a cycle runs
// half a million queries, and expr's own way allocates once per function
// call made in a loop (its argument buffer is sized by the program, not
// by the loop) and once per field read from a struct (reflection copies
// the string). The functions are constants of the program: no name a query
// could use is added.
//
//   - `"x" in installed` (users, addresses): a loop over the strings;
//   - `.name` on a software item (and version, publisher): the inventory's
//     own string, not a copy.
type fastPaths struct {
	reads map[*ast.CallNode]func(*model.Software) string
}

var (
	stringType   = reflect.TypeFor[string]()
	stringsType  = reflect.TypeFor[[]string]()
	softwareType = reflect.TypeFor[*model.Software]()
	// softwareFields are the string fields of a software item a query may
	// read, each read straight from the struct (no reflection).
	softwareFields = map[string]func(*model.Software) string{
		"name":      func(sw *model.Software) string { return sw.Name },
		"version":   func(sw *model.Software) string { return sw.Version },
		"publisher": func(sw *model.Software) string { return sw.Publisher },
	}
)

// readField makes the call that reads one field of a software item; its
// answer is boxed, which copies the string's header once.
func readField(get func(*model.Software) string) func(any) any {
	return func(item any) any {
		if sw, _ := item.(*model.Software); sw != nil {
			return get(sw)
		}
		return ""
	}
}

// compareField makes the call for `.name == "x"` (or !=) on a software
// item: a bool answer needs no allocation, which is what makes the most
// common query, any(software, .name == "x"), cheap.
func compareField(get func(*model.Software) string, equal bool) func(any, any) bool {
	return func(item, s any) bool {
		str, _ := s.(string)
		v := ""
		if sw, _ := item.(*model.Software); sw != nil {
			v = get(sw)
		}
		return (v == str) == equal
	}
}

func inStringList(s, list any) bool {
	str, _ := s.(string)
	l, _ := list.([]string)
	return slices.Contains(l, str)
}

// Visit implements ast.Visitor. expr walks children first, so a field
// read is already a call when the comparison above it is visited: reads
// remembers which calls read which field.
func (f *fastPaths) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		if n.Operator == "in" && n.Left.Type() == stringType && n.Right.Type() == stringsType {
			ast.Patch(node, &ast.CallNode{Callee: &ast.ConstantNode{Value: inStringList}, Arguments: []ast.Node{n.Left, n.Right}})
			return
		}
		call, _ := n.Left.(*ast.CallNode)
		read, ok := f.reads[call]
		if ok && (n.Operator == "==" || n.Operator == "!=") && n.Right.Type() == stringType {
			cmp := compareField(read, n.Operator == "==")
			ast.Patch(node, &ast.CallNode{Callee: &ast.ConstantNode{Value: cmp}, Arguments: []ast.Node{call.Arguments[0], n.Right}})
		}
	case *ast.MemberNode:
		prop, ok := n.Property.(*ast.StringNode)
		if !ok || n.Optional || n.Method || n.Node.Type() != softwareType {
			return
		}
		if get, ok := softwareFields[prop.Value]; ok {
			call := &ast.CallNode{Callee: &ast.ConstantNode{Value: readField(get)}, Arguments: []ast.Node{n.Node}}
			ast.Patch(node, call)
			f.reads[call] = get
		}
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
	env := (&Env{}).variables()
	_, err := expr.Compile(src, append(inStrings(), expr.Env(env), expr.AsBool())...)
	if err != nil {
		qe := &Error{Query: src, Message: err.Error(), Line: 1, Column: 1}
		var fe *file.Error
		if errors.As(err, &fe) {
			qe.Message, qe.Line, qe.Column = fe.Message, fe.Line, fe.Column+1
		}
		return nil, qe
	}
	prog, err := expr.Compile(src, expr.Env(env), expr.AsBool(), expr.Patch(&fastPaths{reads: map[*ast.CallNode]func(*model.Software) string{}}))
	if err != nil {
		return nil, fmt.Errorf("the query %q compiles but not with its fast paths: %w", src, err)
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
// failed while running), spreading the work over up to workers goroutines.
// The error is the first failure, if any.
func MatchAll(q *Query, envs []*Env, workers int) ([]bool, error) {
	out, errs := MatchEach([]*Query{q}, envs, nil, workers)
	return out[0], errs[0]
}

// MatchEach reports whether qs[i] holds on envs[j] as out[i][j], for the
// pairs where want(i, j) is true (every pair when want is nil; false for
// the others and where the query failed while running), and errs[i] is
// qs[i]'s first failure. It goes computer by computer, each computer
// through every query while its inventory is in the processor's cache
// (query by query, 10,000 inventories pass through the cache 50 times and
// it takes twice the CPU), spreading the computers over up to workers
// goroutines, each with its own Evaluator; all have ended when it returns.
func MatchEach(qs []*Query, envs []*Env, want func(q, e int) bool, workers int) (out [][]bool, errs []error) {
	out, errs = make([][]bool, len(qs)), make([]error, len(qs))
	for i := range qs {
		out[i] = make([]bool, len(envs))
	}
	workers = max(1, min(workers, len(envs)*len(qs)/1000+1)) // small work: not worth a goroutine
	werrs := make([][]error, workers)
	var wg sync.WaitGroup
	chunk := (len(envs) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(envs))
		werrs[w] = make([]error, len(qs))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ev Evaluator
			for j := lo; j < hi; j++ {
				for i, q := range qs {
					if want != nil && !want(i, j) {
						continue
					}
					ok, err := ev.Match(q, envs[j])
					if err != nil && werrs[w][i] == nil {
						werrs[w][i] = err
					}
					out[i][j] = ok
				}
			}
		}()
	}
	wg.Wait()
	for _, we := range werrs {
		for i, err := range we {
			if err != nil && errs[i] == nil {
				errs[i] = err
			}
		}
	}
	return out, errs
}
