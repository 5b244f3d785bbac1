package redact

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain file", "file:///var/lib/lsos/archive", "file:///var/lib/lsos/archive"},
		{"plain s3", "s3://archive?region=eu-west-1&use_path_style=true",
			"s3://archive?region=eu-west-1&use_path_style=true"},
		{"host and port", "http://127.0.0.1:8333/bucket/key?x=1", "http://127.0.0.1:8333/bucket/key?x=1"},
		{"ipv6 host and port", "http://[::1]:8333/bucket", "http://[::1]:8333/bucket"},
		{"user and password", "s3://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI@bucket/dir",
			"s3://REDACTED@bucket/dir"},
		{"lone user token", "https://ghp_abcdef123@github.com/org/repo", "https://REDACTED@github.com/org/repo"},
		{"password with slash plus and at", "s3://AKIA:wJal/rX+Ut@nF=EMI@bucket?region=x",
			"s3://REDACTED@bucket?region=x"},
		{"password with question mark and hash", "s3://AKIA:a?b#c@bucket/p", "s3://REDACTED@bucket/p"},
		{"all-digit password before slash", "s3://AKIA:123/456@bucket", "s3://REDACTED@bucket"},
		{"percent-encoded password", "s3://AKIA:se%2Fcret@bucket", "s3://REDACTED@bucket"},
		{"user:password without host", "s3://AKIA:topsecret", "s3://AKIA:REDACTED"},
		{"user:password without scheme", "AKIA:topsecret@bucket/x", "REDACTED@bucket/x"},
		{"secret with scheme-like text, no scheme", "AKIA:a://b@bucket", "REDACTED@bucket"},
		{"ipv6 with user", "http://u:p@[::1]:9000/b", "http://REDACTED@[::1]:9000/b"},
		{"gocloud query credentials",
			"s3://b?endpoint=http://127.0.0.1:9000&access_key_id=AKIA&secret_access_key=wJal%2Fr&session_token=FQo&region=us-east-1",
			"s3://b?endpoint=http://127.0.0.1:9000&access_key_id=REDACTED&secret_access_key=REDACTED&session_token=REDACTED&region=us-east-1"},
		{"aws shared-credentials keys", "s3://b?aws_access_key_id=AKIA&aws_secret_access_key=x&aws_session_token=y&awssdk=v2",
			"s3://b?aws_access_key_id=REDACTED&aws_secret_access_key=REDACTED&aws_session_token=REDACTED&awssdk=v2"},
		{"key case and separators", "s3://b?Secret-Access-Key=x&ACCESSKEYID=y&AccessKey=z",
			"s3://b?Secret-Access-Key=REDACTED&ACCESSKEYID=REDACTED&AccessKey=REDACTED"},
		{"password token credential keys", "https://h/p?password=a&db_passwd=b&refresh_token=c&client_credentials=d&pwd=e",
			"https://h/p?password=REDACTED&db_passwd=REDACTED&refresh_token=REDACTED&client_credentials=REDACTED&pwd=REDACTED"},
		{"percent-encoded key", "s3://b?%73ecret=abc&region=x", "s3://b?%73ecret=REDACTED&region=x"},
		{"presigned", "https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F20261204%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261204T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQo&X-Amz-Signature=0a1b2c",
			"https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED&X-Amz-Date=20261204T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Security-Token=REDACTED&X-Amz-Signature=REDACTED"},
		{"azure sas", "azblob://c?sv=2020-08-04&sig=abc%2Bdef&se=2026", "azblob://c?sv=2020-08-04&sig=REDACTED&se=2026"},
		{"object key is not a secret", "s3://b?key=data/2026-11.parquet", "s3://b?key=data/2026-11.parquet"},
		{"empty secret stays empty", "s3://b?secret_access_key=&region=x", "s3://b?secret_access_key=&region=x"},
		{"unescaped ampersand in secret", "s3://b?secret=ab&cd&region=x", "s3://b?secret=REDACTED&REDACTED&region=x"},
		{"unescaped hash in secret", "s3://b?token=ab#cd", "s3://b?token=REDACTED#REDACTED"},
		{"semicolon separator", "s3://b?region=x;password=y", "s3://b?region=x;password=REDACTED"},
		{"fragment token", "https://app/cb#access_token=xyz&state=1", "https://app/cb#access_token=REDACTED&state=1"},
		{"nested endpoint with user", "s3://b?endpoint=http://u:p4ss@127.0.0.1:9000&region=x",
			"s3://b?endpoint=http://REDACTED@127.0.0.1:9000&region=x"},
		{"nested encoded endpoint with user", "s3://b?endpoint=http%3A%2F%2Fu%3Ap4ss%40h%3A9000&region=x",
			"s3://b?endpoint=http%3A%2F%2FREDACTED%40h%3A9000&region=x"},
		{"nested in path", "https://proxy/fetch/s3://K:S@b/x", "https://proxy/fetch/s3://REDACTED@b/x"},
		{"path with at after port hides host", "http://h:80/a@b", "http://REDACTED@b"},
		{"path with at, no port", "s3://bucket/dir/a@b.parquet", "s3://bucket/dir/a@b.parquet"},
		{"not a URL", "just words", "just words"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := URL(tc.in); got != tc.want {
				t.Errorf("URL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"no URL", "archive: table public.orders has no partitions", "archive: table public.orders has no partitions"},
		{"gocloud error", `open bucket s3://b?endpoint=http://127.0.0.1:1&secret_access_key=wJal: unknown query parameter "secret_access_key"`,
			`open bucket s3://b?endpoint=http://127.0.0.1:1&secret_access_key=REDACTED: unknown query parameter "secret_access_key"`},
		{"userinfo then colon", "archive s3://AKIA:s3cr3t@bucket/p: access denied",
			"archive s3://REDACTED@bucket/p: access denied"},
		{"quoted", `url "s3://AKIA:s3cr3t@bucket" refused`, `url "s3://REDACTED@bucket" refused`},
		{"parenthesized", "(see s3://AKIA:s3cr3t@bucket).", "(see s3://REDACTED@bucket)."},
		{"two URLs", "copy s3://a:b@x to https://c@y/z?sig=q done",
			"copy s3://REDACTED@x to https://REDACTED@y/z?sig=REDACTED done"},
		{"assignment prefix", "DATABASE_URL=postgres://app:pw@db:5432/lsos", "DATABASE_URL=postgres://REDACTED@db:5432/lsos"},
		{"json", `{"url":"s3://k:s@b?region=x"}`, `{"url":"s3://REDACTED@b?region=x"}`},
		{"bare pairs", "flags --password=hunter2 AWS_SECRET_ACCESS_KEY=wJal/r+x region=x",
			"flags --password=REDACTED AWS_SECRET_ACCESS_KEY=REDACTED region=x"},
		{"bare query without scheme", "bucket?region=x&secret_access_key=abc", "bucket?region=x&secret_access_key=REDACTED"},
		{"URL as a secret value", "password=s3://x@y token", "password=REDACTED token"},
		{"scheme-less ://", "a :// b token=x", "a :// b token=REDACTED"},
		{"multiline", "line1 s3://u:p@b\nline2 https://h?X-Amz-Signature=ff\n",
			"line1 s3://REDACTED@b\nline2 https://h?X-Amz-Signature=REDACTED\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// sentinel marks the planted secret: it must not survive, and neither may any escaped
// form of the whole secret.
const sentinel = "SeKrEt"

func plant(a, b string) string { return sentinel + a + sentinel + b + sentinel }

func leaked(out, secret string) bool {
	return strings.Contains(out, sentinel) ||
		strings.Contains(out, secret) ||
		strings.Contains(out, url.QueryEscape(secret)) ||
		strings.Contains(out, url.PathEscape(secret))
}

// strip removes the characters that Text documents as ending an embedded URL.
func strip(s, chars string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(chars, r) {
			return -1
		}
		return r
	}, s)
}

func FuzzRedact(f *testing.F) {
	for _, seed := range [][2]string{
		{"", ""}, {"/+=", "@@"}, {"a?b", "c#d"}, {"%2F", "%"}, {"::", "//"},
		{"&x", ";y"}, {"://", "@h"}, {"123", "/456"}, {"[", "]"}, {"\x00", "é"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		secret := plant(a, b)
		// In userinfo anything goes for URL; Text ends an embedded URL at whitespace and
		// quotes, so those are not planted there.
		inText := strip(secret, " \t\n\r\v\f\"'`<>")
		raw := strip(secret, "&;#") // an unescaped separator ends a query value
		esc := url.QueryEscape(secret)
		for _, c := range []struct {
			name, in, secret string
			f                func(string) string
		}{
			{"userinfo password", "s3://AKIAIOSFODNN7EXAMPLE:" + secret + "@bucket/p?region=x", secret, URL},
			{"userinfo lone token", "s3://" + strip(secret, "/?#") + "@bucket", strip(secret, "/?#"), URL},
			{"userinfo no scheme", "AKIA:" + secret + "@bucket", secret, URL},
			{"query escaped", "s3://b?endpoint=http://127.0.0.1:1&secret_access_key=" + esc + "&region=x", secret, URL},
			{"query raw", "s3://b?region=x&session_token=" + raw + "&use_path_style=true", raw, URL},
			{"presigned", "https://h/k?X-Amz-Credential=" + esc + "&X-Amz-Signature=" + raw, raw, URL},
			{"nested endpoint", "s3://b?endpoint=" + url.QueryEscape("http://u:"+secret+"@h:1") + "&region=x", secret, URL},
			{"text userinfo", "open s3://AKIA:" + inText + "@bucket/p: denied", inText, Text},
			{"text query", "open s3://b?secret_access_key=" + strip(raw, " \t\n\r\v\f\"'`<>") + " failed", strip(raw, " \t\n\r\v\f\"'`<>"), Text},
			{"text bare pair", "AWS_SECRET_ACCESS_KEY=" + strip(raw, " \t\n\r\v\f\"'`<>,") + " region", strip(raw, " \t\n\r\v\f\"'`<>,"), Text},
		} {
			if out := c.f(c.in); leaked(out, c.secret) {
				t.Errorf("%s: secret survived\n in  %q\n out %q", c.name, c.in, out)
			}
		}
	})
}

// TestDeepNesting guards against work growing exponentially with nested values.
func TestDeepNesting(t *testing.T) {
	in := "s3://b" + strings.Repeat("?endpoint=http://h%3Fx%3D1", 2000) + "&token=x"
	done := make(chan string)
	go func() { done <- Text(in + " " + in) }()
	select {
	case out := <-done:
		if strings.HasSuffix(out, "token=x") {
			t.Errorf("token survived")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Text took more than 10s on a deeply nested URL")
	}
}
