package main

// Small words the verbs print with.

import (
	"strconv"
	"strings"
	"time"

	"opensms/core/model"
)

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func setOrNot(s model.Secret) string {
	if s.IsZero() {
		return "not set"
	}
	return "set"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ints(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
