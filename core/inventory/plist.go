package inventory

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// plistString returns the string value of key in an XML property list
// (<key>K</key><string>V</string>), or "" when the list is binary or has
// no such key. Bundles' Info.plist files are XML in practice.
func plistString(data []byte, key string) string {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	var elem, text, lastKey string
	for {
		tok, err := d.Token()
		if err != nil {
			return ""
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elem, text = t.Name.Local, ""
		case xml.CharData:
			text += string(t)
		case xml.EndElement:
			switch t.Name.Local {
			case "key":
				lastKey = strings.TrimSpace(text)
				continue
			case "string":
				if lastKey == key && elem == "string" {
					return strings.TrimSpace(text)
				}
			}
			lastKey = ""
		}
	}
}
