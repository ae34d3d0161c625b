package query

import (
	"errors"
	"fmt"
	"runtime"
	"testing"

	"opensms/core/model"
)

// ScaleWorld is 10,000 computers and 50 queries of the kinds administrators
// write, for the scale benchmark (storage/bench uses it too).
func scaleWorld() ([]Env, []*Query) {
	sw := make([]model.Software, 200)
	for i := range sw {
		sw[i] = model.Software{Name: fmt.Sprintf("prog%03d", i), Version: "1.0"}
	}
	envs := make([]Env, 10000)
	for i := range envs {
		c := model.Computer{Name: fmt.Sprintf("PC%05d", i), Site: "S01", Platform: "linux/amd64", Inventory: &model.Inventory{
			OS: "linux", Arch: "amd64", CPUs: 2 + i%8, Memory: uint64(1+i%16) << 30, FreeDisk: uint64(i%100) << 30,
			Software: sw, Installed: []string{fmt.Sprintf("S01%05d", i%40), fmt.Sprintf("S01%05d", 40+i%7)}}}
		envs[i] = EnvOf(c)
	}
	kinds := []string{
		`not ("S01%05d" in installed)`,
		`"S01%05d" in installed and memory_mb >= 4096`,
		`os == "linux" and cpus >= 4 and not ("S01%05d" in installed)`,
		`name matches "^PC0%d" and disk_free_mb > 20000`,
		`any(software, .name == "prog%03d")`,
	}
	var qs []*Query
	for i := 0; i < 50; i++ {
		q, err := Compile(fmt.Sprintf(kinds[i%len(kinds)], i))
		if err != nil {
			panic(err)
		}
		qs = append(qs, q)
	}
	return envs, qs
}

// scalePointers is scaleWorld's computers as MatchAll and MatchEach take them.
func scalePointers() ([]*Env, []*Query) {
	envs, qs := scaleWorld()
	ptrs := make([]*Env, len(envs))
	for i := range envs {
		ptrs[i] = &envs[i]
	}
	return ptrs, qs
}

// benchCPU runs f b.N times and reports the CPU it took per run.
func benchCPU(b *testing.B, f func() error) {
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

func BenchmarkScale(b *testing.B) {
	ptrs, qs := scalePointers()
	benchCPU(b, func() error {
		for _, q := range qs {
			if _, err := MatchAll(q, ptrs, runtime.NumCPU()); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestMatchAll(t *testing.T) {
	ptrs, qs := scalePointers()
	var ev Evaluator
	for _, q := range qs[:5] {
		got, err := MatchAll(q, ptrs, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ptrs {
			if want, _ := ev.Match(q, ptrs[i]); got[i] != want {
				t.Fatalf("%s on %s: MatchAll %v, Match %v", q, ptrs[i].Name, got[i], want)
			}
		}
	}
}

func BenchmarkKinds(b *testing.B) {
	envs, qs := scaleWorld()
	for k := 0; k < 5; k++ {
		b.Run(fmt.Sprint(k), func(b *testing.B) {
			var ev Evaluator
			for range b.N {
				for i := range envs {
					ev.Match(qs[k], &envs[i])
				}
			}
		})
	}
}

// BenchmarkEach is the watchdog's cycle where every group is new: the 50
// queries on the 10,000 computers at once, computer by computer.
func BenchmarkEach(b *testing.B) {
	ptrs, qs := scalePointers()
	benchCPU(b, func() error {
		_, errs := MatchEach(qs, ptrs, nil, runtime.NumCPU())
		return errors.Join(errs...)
	})
}

func TestMatchEach(t *testing.T) {
	ptrs, qs := scalePointers()
	// Every other pair: the skipped ones are false, the others as MatchAll.
	got, errs := MatchEach(qs[:5], ptrs, func(q, e int) bool { return (q+e)%2 == 0 }, 3)
	for i, q := range qs[:5] {
		want, err := MatchAll(q, ptrs, 1)
		if err != nil || errs[i] != nil {
			t.Fatal(err, errs[i])
		}
		for j := range ptrs {
			if got[i][j] != (want[j] && (i+j)%2 == 0) {
				t.Fatalf("%s on %s: MatchEach %v, MatchAll %v", q, ptrs[j].Name, got[i][j], want[j])
			}
		}
	}
}
