// Package lsos is the sample LSOS schema: versioned migrations with rollbacks (tenants,
// users, auth tokens, locations, campaigns, keywords, monthly-partitioned ranking
// snapshots and crawl outputs, reviews, audit log, delivery log, report files, branding
// assets, aggregated summaries) and a deterministic loader of sample data spanning two
// years. The examples, the quickstart and the tests of every package use it.
package lsos
