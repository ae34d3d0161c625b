package model

import (
	"strconv"
	"strings"
)

// LogicOp is what one node of a detection logic expression does.
type LogicOp int

// Logic operators. A LogicRule node names one rule by its number (1 is the
// package's first rule).
const (
	LogicRule LogicOp = iota + 1
	LogicAnd
	LogicOr
	LogicNot
)

// Logic is a parsed detection logic expression, as SMS 1.x's "Detection
// Rule Part N" lines wrote it (`File 1 AND (File 2 OR NOT File 3)`), over
// the package's rule numbers instead of [File N] sections.
type Logic struct {
	Op   LogicOp
	Rule int      // LogicRule only: 1-based
	Args []*Logic // LogicAnd, LogicOr: two or more; LogicNot: one
}

// Limits on a logic expression: vendors' files are short, and a bound keeps
// a hostile one from exhausting the stack.
const (
	maxLogicLen   = 1000
	maxLogicDepth = 32
)

// ParseDetectionLogic parses a package's DetectionLogic for a package with
// rules rules. The empty expression means every rule must hold (it returns
// nil when there are no rules). Words are case-insensitive: numbers, AND,
// OR, NOT and parentheses; NOT binds tightest, then AND, then OR. Every
// number must name a rule, and every rule must be named, so that no rule is
// silently ignored.
func ParseDetectionLogic(s string, rules int) (*Logic, error) {
	if strings.TrimSpace(s) == "" {
		if rules == 0 {
			return nil, nil
		}
		all := &Logic{Op: LogicAnd}
		for i := 1; i <= rules; i++ {
			all.Args = append(all.Args, &Logic{Op: LogicRule, Rule: i})
		}
		if rules == 1 {
			return all.Args[0], nil
		}
		return all, nil
	}
	if len(s) > maxLogicLen {
		return nil, invalidf("detection logic is %d characters long; at most %d are allowed", len(s), maxLogicLen)
	}
	if rules == 0 {
		return nil, invalidf("detection logic %q names rules, but the package has none", clipLogic(s))
	}
	p := &logicParser{src: s, toks: logicTokens(s), rules: rules}
	l, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, invalidf("detection logic %q: %q is not expected after a complete expression", clipLogic(s), p.toks[p.pos])
	}
	named := make([]bool, rules+1)
	l.walk(func(n *Logic) {
		if n.Op == LogicRule {
			named[n.Rule] = true
		}
	})
	for i := 1; i <= rules; i++ {
		if !named[i] {
			return nil, invalidf("detection logic %q does not name rule %d; name every rule or remove the one not wanted", clipLogic(s), i)
		}
	}
	return l, nil
}

func clipLogic(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// logicTokens splits at spaces and parentheses.
func logicTokens(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '(' || r == ')':
			flush()
			toks = append(toks, string(r))
		case r == ' ' || r == '\t' || r == '\r' || r == '\n':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	return toks
}

type logicParser struct {
	src   string
	toks  []string
	pos   int
	rules int
}

func (p *logicParser) peek() string {
	if p.pos < len(p.toks) {
		return strings.ToUpper(p.toks[p.pos])
	}
	return ""
}

func (p *logicParser) or(depth int) (*Logic, error) {
	return p.chain(depth, "OR", LogicOr, p.and)
}

func (p *logicParser) and(depth int) (*Logic, error) {
	return p.chain(depth, "AND", LogicAnd, p.not)
}

// chain parses next {word next} into one node of op.
func (p *logicParser) chain(depth int, word string, op LogicOp, next func(int) (*Logic, error)) (*Logic, error) {
	first, err := next(depth)
	if err != nil {
		return nil, err
	}
	if p.peek() != word {
		return first, nil
	}
	n := &Logic{Op: op, Args: []*Logic{first}}
	for p.peek() == word {
		p.pos++
		a, err := next(depth)
		if err != nil {
			return nil, err
		}
		n.Args = append(n.Args, a)
	}
	return n, nil
}

func (p *logicParser) not(depth int) (*Logic, error) {
	if depth > maxLogicDepth {
		return nil, invalidf("detection logic %q nests deeper than %d levels", clipLogic(p.src), maxLogicDepth)
	}
	if p.peek() == "NOT" {
		p.pos++
		a, err := p.not(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Logic{Op: LogicNot, Args: []*Logic{a}}, nil
	}
	return p.primary(depth)
}

func (p *logicParser) primary(depth int) (*Logic, error) {
	tok := p.peek()
	switch tok {
	case "":
		return nil, invalidf("detection logic %q ends where a rule number or ( is expected", clipLogic(p.src))
	case "(":
		p.pos++
		l, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, invalidf("detection logic %q: a ( is not closed", clipLogic(p.src))
		}
		p.pos++
		return l, nil
	}
	n, err := strconv.Atoi(tok)
	if err != nil || n < 1 || n > p.rules || tok[0] == '+' {
		return nil, invalidf("detection logic %q: %q is not a rule number from 1 to %d, AND, OR, NOT or a parenthesis", clipLogic(p.src), p.toks[p.pos], p.rules)
	}
	p.pos++
	return &Logic{Op: LogicRule, Rule: n}, nil
}

func (l *Logic) walk(f func(*Logic)) {
	f(l)
	for _, a := range l.Args {
		a.walk(f)
	}
}

// String writes the expression back with the fewest parentheses that keep
// its meaning, words in upper case: `1 AND (2 OR NOT 3)`.
func (l *Logic) String() string {
	if l == nil {
		return ""
	}
	switch l.Op {
	case LogicRule:
		return strconv.Itoa(l.Rule)
	case LogicNot:
		a := l.Args[0]
		if a.Op == LogicAnd || a.Op == LogicOr {
			return "NOT (" + a.String() + ")"
		}
		return "NOT " + a.String()
	}
	word := " AND "
	if l.Op == LogicOr {
		word = " OR "
	}
	parts := make([]string, len(l.Args))
	for i, a := range l.Args {
		parts[i] = a.String()
		if (a.Op == LogicAnd || a.Op == LogicOr) && a.Op != l.Op {
			parts[i] = "(" + parts[i] + ")"
		}
	}
	return strings.Join(parts, word)
}

// WithoutRule returns the expression with rule n taken out and the rules
// after it renumbered, as when rule n is removed from the package. An AND
// or OR left with one operand becomes that operand; nil means nothing is
// left.
func (l *Logic) WithoutRule(n int) *Logic {
	if l == nil {
		return nil
	}
	switch l.Op {
	case LogicRule:
		switch {
		case l.Rule == n:
			return nil
		case l.Rule > n:
			return &Logic{Op: LogicRule, Rule: l.Rule - 1}
		}
		return &Logic{Op: LogicRule, Rule: l.Rule}
	case LogicNot:
		a := l.Args[0].WithoutRule(n)
		if a == nil {
			return nil
		}
		return &Logic{Op: LogicNot, Args: []*Logic{a}}
	}
	out := &Logic{Op: l.Op}
	for _, a := range l.Args {
		if b := a.WithoutRule(n); b != nil {
			out.Args = append(out.Args, b)
		}
	}
	switch len(out.Args) {
	case 0:
		return nil
	case 1:
		return out.Args[0]
	}
	return out
}
