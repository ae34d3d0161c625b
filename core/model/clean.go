package model

import (
	"strings"
	"unicode"
)

// CleanLine makes text a client wrote (an error, an inventory field) safe
// to store and print on one line: control characters (the escape sequences
// that would move a terminal's cursor, change its title or fake a log
// line), Unicode format characters (bidirectional overrides) and invalid
// UTF-8 become nothing, and line breaks and tabs become spaces.
func CleanLine(s string) string {
	return clean(s, false)
}

// CleanText is CleanLine for text of several lines (a command's output):
// it keeps line breaks ("\r\n" and a lone "\r" become "\n") and tabs.
func CleanText(s string) string {
	return clean(s, true)
}

func clean(s string, lines bool) string {
	s = strings.ToValidUTF8(s, "")
	if lines {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r':
			if lines {
				b.WriteByte('\n')
			} else {
				b.WriteByte(' ')
			}
		case r == '\t':
			if lines {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			// dropped: C0, DEL, C1 and format characters
		default:
			b.WriteRune(r)
		}
	}
	if !lines {
		return strings.TrimSpace(b.String())
	}
	return b.String()
}

// OutputTailLines is how many lines of a failed command's output the site
// keeps and shows.
const OutputTailLines = 10

// LastLines returns the last n lines of text, without a trailing empty one.
func LastLines(text string, n int) string {
	text = strings.TrimRight(text, "\n")
	if text == "" || n <= 0 {
		return ""
	}
	i := len(text)
	for k := 0; k < n; k++ {
		j := strings.LastIndexByte(text[:i], '\n')
		if j < 0 {
			return text
		}
		i = j
	}
	return text[i+1:]
}
