package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/expr-lang/expr"

	"opensms/core/model"
)

func computer() model.Computer {
	return model.Computer{Name: "PC001", Site: "S01", Platform: "linux/amd64", Inventory: &model.Inventory{
		OS: "linux", Arch: "amd64", OSName: "debian", OSRelease: "12.5", OSVersion: "Debian GNU/Linux 12 (bookworm)",
		CPUs: 4, Memory: 8 << 30, FreeDisk: 20 << 30,
		Disks:     []model.Disk{{Path: "/", Size: 100 << 30, Free: 20 << 30}},
		Software:  []model.Software{{Name: "curl", Version: "7.88.1"}, {Name: "bash", Version: "5.2"}},
		Installed: []string{"S0100001"},
	}}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		q    string
		want bool
	}{
		{`not ("P" in installed)`, true},
		{`"S0100001" in installed`, true},
		{`not ("S0100001" in installed)`, false},
		{`memory_mb >= 8192 and cpus == 4`, true},
		{`memory_mb > 8192`, false},
		{`os == "linux" and arch == "amd64" and platform == "linux/amd64"`, true},
		{`name matches "^PC0" and site in ["S01", "S02"]`, true},
		{`os_version matches "bookworm" and os_name == "debian" and os_release >= "12"`, true},
		{`disk_free_mb > 10000 and disk_total_mb == 102400`, true},
		{`any(software, .name == "curl" and .version >= "7.8")`, true},
		{`any(software, .name == "firefox")`, false},
		{`reported`, true},
	}
	env := EnvOf(computer())
	var ev Evaluator
	for _, c := range cases {
		q, err := Compile(c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		got, err := ev.Match(q, &env)
		if err != nil || got != c.want {
			t.Errorf("%s: got %v, %v; want %v", c.q, got, err, c.want)
		}
	}
	// A computer that has not reported: only name, site and platform.
	bare := EnvOf(model.Computer{Name: "PC009", Site: "S01", Platform: "windows/amd64"})
	q, _ := Compile(`os == "windows" and not reported and not ("P" in installed)`)
	if ok, err := ev.Match(q, &bare); !ok || err != nil {
		t.Errorf("bare computer: %v %v", ok, err)
	}
}

func TestCompileRefuses(t *testing.T) {
	cases := []struct{ q, says string }{
		{`installed ++ (`, "column"},
		{`memroy_mb > 4`, "unknown name memroy_mb"},
		{`memory_mb + 1`, "bool"},
		{`name == 3`, "mismatched types"},
		{``, "it is empty"},
		{strings.Repeat("a", MaxLen+1), "longer than"},
	}
	for _, c := range cases {
		_, err := Compile(c.q)
		var qe *Error
		if !errors.As(err, &qe) || !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), c.says) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v (want a one-line sentence saying %q)", c.q, err, c.says)
		}
	}
	_, err := Compile(`installed ++ (`)
	t.Log(err)
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{`not ("P" in installed)`, `installed ++ (`, `any(software, .name == "x")`, `name matches "["`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Compile(src)
		if err != nil {
			return
		}
		var ev Evaluator
		env := EnvOf(computer())
		_, _ = ev.Match(q, &env)
	})
}

// TestFastPathsSame runs queries both as compiled (with the fast paths)
// and as expr compiles them without, on a reported and a bare computer:
// the answers are the same, and so are the refusals.
func TestFastPathsSame(t *testing.T) {
	queries := []string{
		`any(software, .name == "curl" and .version >= "7.8")`,
		`any(software, .publisher == "") and all(software, .name != "")`,
		`software[0].name == "curl" and software[1].version matches "^5"`,
		`"curl" in map(software, .name) and any(software, upper(.name) startsWith "CU")`,
		`any(software, .name + "/" + .version == "bash/5.2")`,
		`len(filter(software, .version > "6")) == 1`,
		`not ("P" in installed) and "S0100001" in installed and not ("root" in users)`,
		`"10.0.0.1" in addresses or name in ["PC001", "PC009"]`,
	}
	envs := []Env{EnvOf(computer()), EnvOf(model.Computer{Name: "PC009", Site: "S01", Platform: "windows/amd64"})}
	var ev Evaluator
	for _, src := range queries {
		q, err := Compile(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		plain, err := expr.Compile(src, append(inStrings(), expr.Env((&Env{}).variables()), expr.AsBool())...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range envs {
			got, err1 := ev.Match(q, &envs[i])
			want, err2 := expr.Run(plain, envs[i].variables())
			if got != (want == true) || (err1 == nil) != (err2 == nil) {
				t.Errorf("%s on %s: %v, %v with the fast paths; %v, %v without", src, envs[i].Name, got, err1, want, err2)
			}
		}
	}
	for _, c := range []struct{ q, says string }{
		{`any(software, .name == 3)`, "mismatched types"},
		{`any(software, .nmae == "curl")`, "nmae"},
		{`any(software, .version + 1 > 2)`, "mismatched types"},
		{`3 in installed`, "cannot use int"},
	} {
		if _, err := Compile(c.q); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v (want it refused saying %q)", c.q, err, c.says)
		}
	}
}
