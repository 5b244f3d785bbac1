package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
)

func govctl(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestPolicyValidateLoweredAuditRetention(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("retention:\n  - category: audit\n    tables: [audit_log]\n    keep: 12 months\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := govctl(t, "policy", "validate", bad)
	if code != exitUsage {
		t.Fatalf("exit %d; want 2", code)
	}
	if !strings.Contains(stderr, "floor of 24 months") || !strings.Contains(stderr, bad+":4:") {
		t.Fatalf("stderr does not name the 24-month floor and the position:\n%s", stderr)
	}
}

func TestPolicyValidateGoodFile(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.yaml")
	if err := os.WriteFile(good, []byte("retention:\n  - category: audit\n    tables: [audit_log]\n    keep: 7 years\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := govctl(t, "policy", "validate", good); code != exitOK || !strings.Contains(out, "valid") {
		t.Fatalf("exit %d, out %q, err %q", code, out, stderr)
	}
}

func TestPolicyShowJSONIsTheEffectivePolicy(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p.yaml")
	if err := os.WriteFile(f, []byte("tenant: {column: account_id}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := govctl(t, "--policy", f, "--format", "json", "policy", "show")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var p governance.Policy
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("policy show --format json is not JSON: %v\n%s", err, out)
	}
	if p.Tenant.Column != "account_id" || p.Tenant.Table != "tenants" {
		t.Errorf("tenant = %+v; want the file merged over the default", p.Tenant)
	}
	// The YAML form parses back too.
	code, out, _ = govctl(t, "policy", "show")
	if code != exitOK {
		t.Fatal("policy show failed")
	}
	if _, err := governance.Parse([]byte(out)); err != nil {
		t.Fatalf("policy show YAML does not parse back: %v", err)
	}
}

// replace_defaults drops a built-in list: policy show writes the marker with the
// replaced list, so its output reads back without the defaults; a wrong list name is
// bad input with its position.
func TestPolicyReplaceDefaults(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(f, []byte("replace_defaults: [snapshots]\nsnapshots:\n  - table: crawl_outputs\n    key: [tenant_id, url, crawled_on]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := govctl(t, "policy", "validate", f); code != exitOK || !strings.Contains(out, "valid") {
		t.Fatalf("validate: exit %d, out %q, err %q", code, out, stderr)
	}
	code, out, stderr := govctl(t, "--policy", f, "policy", "show")
	if code != exitOK {
		t.Fatalf("show: exit %d: %s", code, stderr)
	}
	p, err := governance.Parse([]byte(out))
	if err != nil {
		t.Fatalf("policy show YAML does not parse back: %v\n%s", err, out)
	}
	if len(p.Snapshots) != 1 || p.Snapshots[0].Table != "crawl_outputs" || len(p.Snapshots[0].Key) != 3 {
		t.Errorf("snapshots read back = %v; want only the file's key\n%s", p.Snapshots, out)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("replace_defaults: [snapshot]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = govctl(t, "policy", "validate", bad)
	if code != exitUsage || !strings.Contains(stderr, bad+":1:20:") || !strings.Contains(stderr, "allowed: snapshots, relationships, retention") {
		t.Fatalf("exit %d; want 2 with the position and the allowed lists:\n%s", code, stderr)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"no-such-command"},
		{"--format", "xml", "policy", "show"},
		{"--policy", "/does/not/exist.yaml", "policy", "show"},
		{"policy"},
		{"policy", "frobnicate"},
		{"--bogus-flag"},
	} {
		code, _, stderr := govctl(t, args...)
		if code != exitUsage {
			t.Errorf("govctl %v: exit %d; want 2", args, code)
		}
		if len(args) > 0 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("govctl %v: stderr must be one line, got %q", args, stderr)
		}
	}
}
