// Package detect evaluates a package's detection rules on the computer it
// runs on: does this file exist, have this size, this SHA-256, this
// version; combined with AND, OR and NOT as the package's detection logic
// says. The client checks them before running an offered command line
// (they hold: already installed, nothing runs) and after a run whose exit
// code means success (they do not hold: the run failed, and the sentence
// says which rule). Rules come from files vendors wrote, so nothing here
// trusts a path: only regular files are opened, and a rule that cannot be
// checked on this platform reads "not applicable here", never "installed".
package detect

import (
	"fmt"
	"os"
	"strings"

	"opensms/core/model"
)

// Outcome is what checking a rule, or a package's rules, found.
type Outcome int

// Outcomes. The zero value is not an outcome, so that a forgotten result
// is not mistaken for one.
const (
	// Holds: the rule is true here.
	Holds Outcome = iota + 1
	// NotHeld: the rule is false here; Result.Reason says what was found
	// and what was expected.
	NotHeld
	// NotApplicable: this computer cannot check the rule (a registry rule
	// on Linux, a kind this client does not know). Never read as installed.
	NotApplicable
)

// String returns "holds", "does not hold" or "not applicable here".
func (o Outcome) String() string {
	switch o {
	case Holds:
		return "holds"
	case NotHeld:
		return "does not hold"
	case NotApplicable:
		return "not applicable here"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Result is an outcome and the sentence that explains it: what was found
// (for Holds, so that NOT can say why it failed), or what was found and
// what was expected (NotHeld), or why the rule cannot be checked here.
type Result struct {
	Outcome Outcome
	Reason  string
}

func holds(format string, args ...any) Result {
	return Result{Holds, fmt.Sprintf(format, args...)}
}

func notHeld(format string, args ...any) Result {
	return Result{NotHeld, fmt.Sprintf(format, args...)}
}

func notApplicable(format string, args ...any) Result {
	return Result{NotApplicable, fmt.Sprintf(format, args...)}
}

// Options configure an Evaluator. The zero value checks this computer with
// its own environment.
type Options struct {
	// LookupEnv finds an environment variable for path expansion; nil means
	// os.LookupEnv. Tests give their own.
	LookupEnv func(string) (string, bool)
}

// checker checks one rule of its kind. It may use e.path to expand the
// rule's path.
type checker func(e *Evaluator, r model.DetectionRule) Result

// Evaluator checks detection rules. Each rule kind has its own checker in
// a map built by New; a kind a platform cannot evaluate registers one that
// answers NotApplicable (see addPlatformKinds).
type Evaluator struct {
	env   func(string) (string, bool)
	kinds map[model.RuleKind]checker
}

// New returns an Evaluator for this computer.
func New(o Options) *Evaluator {
	e := &Evaluator{env: o.LookupEnv}
	if e.env == nil {
		e.env = os.LookupEnv
	}
	e.kinds = map[model.RuleKind]checker{
		model.RuleFileExists: checkExists,
		model.RuleFileSize:   checkSize,
		model.RuleSHA256:     checkSHA256,
		model.RuleVersion:    checkVersion,
	}
	addPlatformKinds(e.kinds)
	return e
}

// Rule checks one rule.
func (e *Evaluator) Rule(r model.DetectionRule) Result {
	c, ok := e.kinds[r.Kind]
	if !ok {
		return notApplicable("this client cannot check %q rules", r.Kind)
	}
	return c(e, r)
}

// Package checks a package's rules combined by its detection logic (empty:
// every rule must hold). ok is false when the package has no rules: there
// is nothing to check, and the caller goes by the exit code alone. An
// expression that does not parse is NotApplicable, with the parser's
// sentence: a client never decides "installed" from rules it cannot read.
//
// AND and OR follow three-valued logic: AND is NotHeld if any part is,
// else NotApplicable if any part is; OR holds if any part holds, else
// NotApplicable if any part is. Each rule is checked at most once.
func (e *Evaluator) Package(rules []model.DetectionRule, logic string) (res Result, ok bool) {
	if len(rules) == 0 {
		return Result{}, false
	}
	l, err := model.ParseDetectionLogic(logic, len(rules))
	if err != nil {
		return notApplicable("the detection rules cannot be read: %v", err), true
	}
	memo := make([]Result, len(rules))
	return e.eval(l, rules, memo), true
}

func (e *Evaluator) eval(l *model.Logic, rules []model.DetectionRule, memo []Result) Result {
	switch l.Op {
	case model.LogicRule:
		i := l.Rule - 1
		if memo[i].Outcome == 0 {
			memo[i] = e.Rule(rules[i])
			memo[i].Reason = fmt.Sprintf("rule %d: %s", l.Rule, memo[i].Reason)
		}
		return memo[i]
	case model.LogicNot:
		a := e.eval(l.Args[0], rules, memo)
		switch a.Outcome {
		case Holds:
			return notHeld("%s, and it was expected not to", a.Reason)
		case NotHeld:
			return holds("%s, as expected", a.Reason)
		}
		return a
	case model.LogicAnd:
		var na *Result
		var found []string
		for _, sub := range l.Args {
			r := e.eval(sub, rules, memo)
			switch r.Outcome {
			case NotHeld:
				return r
			case NotApplicable:
				if na == nil {
					na = &r
				}
			default:
				found = append(found, r.Reason)
			}
		}
		if na != nil {
			return *na
		}
		return holds("%s", strings.Join(found, "; "))
	}
	var na *Result
	var why []string
	for _, sub := range l.Args {
		r := e.eval(sub, rules, memo)
		switch r.Outcome {
		case Holds:
			return r
		case NotApplicable:
			if na == nil {
				na = &r
			}
		default:
			why = append(why, r.Reason)
		}
	}
	if na != nil {
		return *na
	}
	return notHeld("none of %d alternatives holds: %s", len(why), strings.Join(why, "; "))
}
