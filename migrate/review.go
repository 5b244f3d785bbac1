package migrate

import (
	"context"
	"errors"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/review"
)

// ReviewOptions tune [Review]: the clock (Now), the versions to review (Since), a
// classifier, the database whose statistics size the index impact (Stats), the target
// whose revisions table dates the deprecating versions (Target, RevisionsSchema, or
// AppliedAt given directly) and a logger. Policy is set by Review from its argument.
type ReviewOptions = review.Options

// ReviewReport is the outcome of [Review]: findings (JSON {"findings":[…]}), suppressed
// findings with their reasons, the approvals each version needs, the feature flags a
// contract step waits for, the index impact table, and the statements reviewed
// statically. It renders as text, JSON or Markdown (WriteText, WriteJSON, WriteMarkdown).
type ReviewReport = review.Report

// Review replays dir on dev, an empty scratch database (never the target), and reviews
// every version after opts.Since against policy (policy §2-4, §10): missing-rollback,
// checksum-mismatch, destructive-change, backward-incompatible, lock-risk, index-impact,
// tenant-isolation, unclassified-column, sensitive-change and missing-approval, plus
// Atlas's sqlcheck analyzers (merged into those findings, or atlas-* findings). A nil
// policy is [governance.Default]. Findings are not errors; the error is for a review
// that could not run.
func Review(ctx context.Context, dev DB, dir *Dir, policy *governance.Policy, opts ReviewOptions) (*ReviewReport, error) {
	if dir == nil || dir.FS() == nil {
		return nil, errors.New("migrate: Review: dir is nil; load one with Load or LoadFS")
	}
	d, err := review.LoadFS(dir.FS())
	if err != nil {
		return nil, err
	}
	opts.Policy = policy
	return review.Review(ctx, dev, d, opts)
}
