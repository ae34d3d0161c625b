package model

import (
	"slices"
	"strings"
)

// AnyPlatformName is what a user types (smsctl --platform any) for a command
// line that runs on every platform.
const AnyPlatformName = "any"

// RunsOn reports whether the command line may run on a computer of platform
// p. An any-platform command line runs on every computer, including one
// whose platform is not known yet (no inventory). The client, the watchdog's
// applicability and the windows all decide through this one function.
func (c CommandLine) RunsOn(p Platform) bool {
	return c.AnyPlatform || slices.Contains(c.Platforms, p)
}

// PlatformText says where the command line runs, as a user reads it:
// "any platform" or the platforms joined by commas.
func (c CommandLine) PlatformText() string {
	if c.AnyPlatform {
		return "any platform"
	}
	names := make([]string, len(c.Platforms))
	for i, p := range c.Platforms {
		names[i] = string(p)
	}
	return strings.Join(names, ",")
}

// ParseCommandPlatforms reads a command line's platforms as a user types
// them: "any" (any platform), or a comma-separated list as ParsePlatforms
// reads it. "any" mixed with platforms is refused: it would be ambiguous.
func ParseCommandPlatforms(s string) (platforms []Platform, anyPlatform bool, err error) {
	fields := strings.Split(s, ",")
	for _, f := range fields {
		if strings.EqualFold(strings.TrimSpace(f), AnyPlatformName) {
			if len(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })) > 1 {
				return nil, false, invalidf("platforms %q: %s stands alone, without other platforms", s, AnyPlatformName)
			}
			return nil, true, nil
		}
	}
	ps, err := ParsePlatforms(s)
	return ps, false, err
}
