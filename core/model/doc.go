// Package model holds what an OpenSMS administrator works with: packages,
// command lines, sites, distribution servers, computers, machine groups, jobs
// and their status, and events. It also declares the store interfaces that
// storage implements. It imports no Fyne, Badger or go-smb2.
package model
