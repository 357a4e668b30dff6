package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// choice is a string flag that takes one of a few values: any other is
// refused as the flags are read, with the values it takes, rather than
// quietly taken for the default or matching nothing.
type choice struct {
	v       *string
	allowed []string
}

// choiceVar defines a flag taking one of allowed.
func choiceVar(f *pflag.FlagSet, p *string, name, def, usage string, allowed ...string) {
	*p = def
	f.Var(&choice{v: p, allowed: allowed}, name, usage)
}

func (c *choice) String() string { return *c.v }
func (c *choice) Type() string   { return "string" }

func (c *choice) Set(s string) error {
	if !slices.Contains(c.allowed, s) {
		return fmt.Errorf("must be one of %s", strings.Join(c.allowed, ", "))
	}
	*c.v = s
	return nil
}
