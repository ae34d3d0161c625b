package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// CutShort reports whether data looks like a signed file caught while it
// is written: empty, or JSON that ends (or turns into zero bytes, as a
// server may show the part of a file not written yet) before its closing
// brace. The watchdog creates a computer's first instruction file under
// its final name (share.CreateFile), so a client polling at that moment
// reads such a file; it takes it for an absent one and reads it again at
// its next poll. It is never a reason to accept anything: a file that is
// whole but wrong is not cut short and is refused as before.
func CutShort(data []byte) bool {
	data = bytes.TrimRight(data, "\x00")
	if len(bytes.TrimSpace(data)) == 0 {
		return true
	}
	var v json.RawMessage
	err := json.NewDecoder(bytes.NewReader(data)).Decode(&v)
	return errors.Is(err, io.ErrUnexpectedEOF)
}
