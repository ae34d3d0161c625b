package client

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"testing"

	"opensms/core/model"
	"opensms/core/protocol"
)

// A computer listing more programs than the site's file limit holds still
// reports its inventory, with fewer programs.
func TestEncodeInventoryTooLarge(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	inv := protocol.Inventory{Format: protocol.InventoryFormat, Inventory: model.Inventory{Computer: "PC001", Site: "S01", CPUs: 2}}
	for i := 0; i < 20000; i++ {
		inv.Software = append(inv.Software, model.Software{Name: fmt.Sprintf("program-with-a-long-name-%06d", i), Version: "1.2.3", Publisher: "Someone <someone@example.org>"})
	}
	if _, err := protocol.EncodeInventory(key, inv); err == nil {
		t.Fatal("the test inventory fits: make it larger")
	}
	data, err := encodeInventory(Enrollment{Key: key}, inv, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	got, err := protocol.DecodeInventory(data)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.Software); n == 0 || n >= 20000 || got.CPUs != 2 {
		t.Fatalf("%d programs, cpus %d", n, got.CPUs)
	}
}
