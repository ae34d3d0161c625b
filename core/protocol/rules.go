package protocol

import (
	"crypto/ed25519"
	"fmt"
	"slices"
	"strings"

	"opensms/core/model"
)

// RulesFile holds every package's detection rules on the site share, signed
// by the site key: as SMS 1.x sent its package inventory rules to every
// client, so that each client reports which packages it has whether or not
// they were ever offered to it.
const RulesFile = "rules.json"

// RulesFormat is the version of RulesFile.
const RulesFormat = "opensms-rules/1"

// PackageRules is one package's detection rules.
type PackageRules struct {
	Package        string                `json:"package"`
	Name           string                `json:"name,omitempty"`
	Version        string                `json:"version,omitempty"`
	Detection      []model.DetectionRule `json:"detection"`
	DetectionLogic string                `json:"detection_logic,omitempty"`
}

// Rules is RulesFile before signing. It carries no time, so the same rules
// always sign to the same bytes and the watchdog rewrites the file only
// when a package's rules change.
type Rules struct {
	Format   string         `json:"format"`
	Site     string         `json:"site"`
	Packages []PackageRules `json:"packages"`
}

// EncodeRules checks and signs the site's rules file. Packages are sorted
// by ID so that equal rules give equal bytes.
func EncodeRules(priv ed25519.PrivateKey, r Rules) ([]byte, error) {
	r = normalRules(r)
	if err := checkRules(r); err != nil {
		return nil, fmt.Errorf("package rules of site %s: %w", printable(r.Site), err)
	}
	return Sign(priv, RulesFormat, r)
}

// DecodeRules checks that data is a rules file signed by pub. Errors wrap
// ErrUnsigned, ErrBadSignature, ErrWrongKey or ErrFormat.
func DecodeRules(pub ed25519.PublicKey, data []byte) (Rules, error) {
	var r Rules
	if err := Open(pub, RulesFormat, data, &r); err != nil {
		return Rules{}, err
	}
	if err := checkFormat(subjectOf(RulesFormat), r.Format, RulesFormat); err != nil {
		return Rules{}, err
	}
	if err := checkRules(r); err != nil {
		return Rules{}, errorf(ErrFormat, "the package rules are signed but not valid: %v", err)
	}
	return normalRules(r), nil
}

func normalRules(r Rules) Rules {
	if r.Format == "" {
		r.Format = RulesFormat
	}
	r.Site = strings.ToUpper(r.Site)
	r.Packages = slices.Clone(r.Packages)
	if r.Packages == nil {
		r.Packages = []PackageRules{}
	}
	slices.SortFunc(r.Packages, func(a, b PackageRules) int { return strings.Compare(a.Package, b.Package) })
	return r
}

func checkRules(r Rules) error {
	if r.Format != RulesFormat {
		return fmt.Errorf("format is %q, not %s", printable(r.Format), RulesFormat)
	}
	if err := model.ValidSiteCode(r.Site); err != nil {
		return err
	}
	for i, p := range r.Packages {
		if err := checkName("package", p.Package); err != nil {
			return fmt.Errorf("package %d: %w", i+1, err)
		}
		if i > 0 && r.Packages[i-1].Package == p.Package {
			return fmt.Errorf("package %s is listed twice", p.Package)
		}
	}
	return nil
}
