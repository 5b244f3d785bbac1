package main

import (
	"context"
	"strings"
)

// subcommand is one sub-command of a command group ("archive run", "retention holds").
type subcommand struct {
	name string
	run  func(ctx context.Context, e *env, args []string) error
}

// dispatch runs the sub-command args[0] of group with the remaining arguments; a missing
// or unknown one is bad usage naming the choices.
func dispatch(ctx context.Context, e *env, group string, args []string, subs []subcommand) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	choices := strings.Join(names, ", ")
	if n := len(names); n > 1 {
		choices = strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	if len(args) == 0 {
		return usagef("%s: want a subcommand: %s", group, choices)
	}
	for _, s := range subs {
		if s.name == args[0] {
			return s.run(ctx, e, args[1:])
		}
	}
	return usagef("%s: unknown subcommand %q (want %s)", group, args[0], choices)
}
