package main

// A package's detection rules: package detect add, list, rm, logic; and
// what package show prints of them.

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"opensms/core/admin"
	"opensms/core/model"
)

// detectVerbs are registered with the package noun (see package.go).
var detectVerbs = []verb{
	{Name: "detect add", Args: "ID", NArgs: 1, Summary: "add a detection rule: how a client tells the package is installed", Setup: detectAdd,
		Usage: "ID --kind file-exists|size|sha256|version --path PATH [--value V]\n" +
			"   or: ID --kind registry --key KEY [--value-name NAME] [--value DATA] [--view 64|32]\n" +
			"   or: ID --kind msi --product-code {GUID}\n\n" +
			"PATH may hold environment variables, expanded on the client: %ProgramFiles%\\App\\app.exe, $HOME/.app.\n" +
			"V is the size in bytes, the SHA-256 in hex, or a version (2.1.0.5), optionally after =, !=, <, <=, >, >=;\n" +
			"a version rule reads a Windows program's file version, or the first line of any other file.\n" +
			"A registry rule (Windows) reads value NAME (none: the key's default value) of KEY, e.g.\n" +
			"HKLM\\Software\\Vendor\\App, in the 64-bit registry or the 32-bit one (WOW6432Node); DATA is the data\n" +
			"expected (none: the value exists): text as written, a number in decimal or 0x hex, other types in hex.\n" +
			"An msi rule (Windows) holds when Windows Installer has the product installed for the computer.\n" +
			"Elsewhere, registry and msi rules are not applicable: never installed.\n" +
			"Rules must all hold unless 'package detect logic' says otherwise."},
	{Name: "detect list", Args: "ID", NArgs: 1, Summary: "list a package's detection rules and how they combine", Setup: detectList},
	{Name: "detect rm", Args: "ID N", NArgs: 2, Summary: "remove detection rule N (1 is the first)", Setup: detectRm},
	{Name: "detect logic", Args: "ID EXPR", NArgs: 2, Summary: "combine the rules, e.g. '1 AND (2 OR NOT 3)'; '' means all must hold", Setup: detectLogic},
}

func detectAdd(fs *flag.FlagSet) runFunc {
	kind := fs.String("kind", "", "rule `kind`: file-exists, size, sha256, version, registry or msi")
	path := fs.String("path", "", "the file's `PATH` on the client")
	value := fs.String("value", "", "the size, SHA-256, version or registry data `V` expected")
	w := registryMSIFlags{
		key:     fs.String("key", "", "registry `KEY` with its hive, e.g. HKLM\\Software\\Vendor\\App"),
		name:    fs.String("value-name", "", "registry value `NAME` (default: the key's default value)"),
		view:    fs.String("view", string(model.RegistryView64), "registry `view` on 64-bit Windows: 64, or 32 for WOW6432Node"),
		product: fs.String("product-code", "", "MSI product `code`, {GUID}"),
	}
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		if err := requireFlags(fs, "kind"); err != nil {
			return err
		}
		r := model.DetectionRule{Kind: model.RuleKind(strings.ToLower(strings.TrimSpace(*kind))), Path: *path, Value: strings.TrimSpace(*value)}
		switch r.Kind {
		case model.RuleRegistry, model.RuleMSI:
			if err := w.fill(fs, &r); err != nil {
				return err
			}
		default:
			if err := requireFlags(fs, "path"); err != nil {
				return err
			}
		}
		p, err := api.AddDetectionRule(ctx, args[0], r)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(p)
		}
		fmt.Fprintln(e.stdout, len(p.Detection))
		return nil
	})
}

// detection is what detect list prints with --json.
type detection struct {
	Rules []model.DetectionRule `json:"rules"`
	Logic string                `json:"logic,omitempty"`
}

func detectList(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		p, err := api.GetPackage(ctx, args[0])
		if err != nil {
			return err
		}
		rows := make([][]string, len(p.Detection))
		for i, r := range p.Detection {
			rows[i] = []string{strconv.Itoa(i + 1), string(r.Kind), r.Subject(), orDash(r.Value)}
		}
		if err := e.table(detection{Rules: nonNil(p.Detection), Logic: p.DetectionLogic}, []string{"N", "KIND", "WHAT", "EXPECTED"}, rows); err != nil || e.json {
			return err
		}
		fmt.Fprintln(e.stdout, "holds when: "+logicText(p))
		return nil
	})
}

func detectRm(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return usagef("rule %q is not a rule number; see 'smsctl package detect list %s'", args[1], args[0])
		}
		_, err = api.RemoveDetectionRule(ctx, args[0], n)
		return err
	})
}

func detectLogic(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		p, err := api.SetDetectionLogic(ctx, args[0], args[1])
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(p)
		}
		fmt.Fprintln(e.stdout, "holds when: "+logicText(p))
		return nil
	})
}

// logicText says when a package's rules hold, in words.
func logicText(p model.Package) string {
	switch {
	case len(p.Detection) == 0:
		return "no rules: the exit code alone decides"
	case p.DetectionLogic != "":
		return p.DetectionLogic
	case len(p.Detection) == 1:
		return "rule 1 holds"
	}
	return "every rule holds"
}

// detectionFields are package show's lines for the rules.
func detectionFields(p model.Package) []field {
	var out []field
	for i, r := range p.Detection {
		desc := string(r.Kind) + " " + r.Subject()
		if r.Value != "" {
			desc += "  expected " + r.Value
		}
		out = append(out, field{fmt.Sprintf("detection rule %d", i+1), desc})
	}
	if len(p.Detection) > 0 {
		out = append(out, field{"installed when", logicText(p)})
	}
	return out
}
