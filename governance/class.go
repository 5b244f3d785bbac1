package governance

import "fmt"

// Class is a data class of policy §5.
type Class string

// The four data classes of policy §5.
const (
	Operational Class = "operational"
	Sensitive   Class = "sensitive"
	Audit       Class = "audit"
	Artifact    Class = "artifact"
)

// Classes lists the data classes in the order the policy names them.
func Classes() []Class { return []Class{Operational, Sensitive, Audit, Artifact} }

// Valid reports whether c is one of the four policy classes.
func (c Class) Valid() bool {
	switch c {
	case Operational, Sensitive, Audit, Artifact:
		return true
	}
	return false
}

// ParseClass parses a class name, naming the allowed values on error.
func ParseClass(s string) (Class, error) {
	c := Class(s)
	if !c.Valid() {
		return "", fmt.Errorf("governance: unknown data class %q (allowed: operational, sensitive, audit, artifact)", s)
	}
	return c, nil
}

// DataClass describes one class as the policy text does.
type DataClass struct {
	Name        Class    `yaml:"name" json:"name"`
	Description string   `yaml:"description" json:"description"`
	Examples    []string `yaml:"examples" json:"examples"`
}
