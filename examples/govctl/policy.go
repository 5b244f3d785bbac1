package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/lsos/lsosgov/governance"
)

func runPolicy(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("policy: want a subcommand: show or validate FILE")
	}
	switch args[0] {
	case "show":
		var b []byte
		var err error
		if e.format == "json" {
			b, err = e.policy.JSON()
			b = append(b, '\n')
		} else {
			b, err = e.policy.YAML()
		}
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	case "validate":
		file := e.policyFile
		if len(args) > 1 {
			file = args[1]
		}
		if file == "" {
			return usagef("policy validate: name the policy file: govctl policy validate FILE")
		}
		p, err := governance.Load(file)
		var pe *governance.PolicyError
		if errors.As(err, &pe) {
			for _, pr := range pe.Problems {
				fmt.Fprintln(e.stderr, (&governance.PolicyError{File: pe.File, Problems: []governance.Problem{pr}}).Error())
			}
			return usageError{fmt.Sprintf("policy validate: %s has %d problem(s)", file, len(pe.Problems))}
		}
		if err != nil {
			return usagef("policy validate: %v", err)
		}
		fmt.Fprintf(e.stdout, "%s: valid (policy version %q)\n", file, p.Version)
		return nil
	}
	return usagef("policy: unknown subcommand %q (want show or validate)", args[0])
}
