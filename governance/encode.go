package governance

import (
	"bytes"
	"encoding/json"

	"go.yaml.in/yaml/v3"
)

// YAML writes the effective policy as a YAML document that [Parse] reads back.
func (p *Policy) YAML() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// JSON writes the effective policy as indented JSON that [Parse] reads back.
func (p *Policy) JSON() ([]byte, error) { return json.MarshalIndent(p, "", "  ") }
