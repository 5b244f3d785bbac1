package classify

import (
	"testing"
)

func TestDetectors(t *testing.T) {
	type tc struct {
		in   string
		want bool
	}
	cases := map[string]struct {
		fn    func(string) bool
		cases []tc
	}{
		"IsEmail": {IsEmail, []tc{
			{"ann@example.com", true},
			{"ann.lee+tag@mail.example.co.uk", true},
			{"o'brien@example.org", true},
			{"USER_1@Example.IO", true},
			{"user@localhost", false},   // no dot in the domain: not a deliverable address
			{"a@b.c", false},            // one-letter TLD
			{"v@1.2.3", false},          // numeric TLD
			{"@handle", false},          // no local part
			{"ann@", false},             // no domain
			{".ann@example.com", false}, // leading dot
			{"ann..lee@example.com", false},
			{"ann@-example.com", false},
			{"ann@example..com", false},
			{"https://user@host.example.com/x", false},
			{"git@github.com:org/repo.git", false},
			{"not an email", false},
		}},
		"IsJWT": {IsJWT, []tc{
			{"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", true},
			{"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0.", true}, // unsigned
			{"eyJhbGciOiJIUzI1NiJ9.payload", false},                        // two segments
			{"abc.def.ghi", false},                                         // no JSON header
			{"eyJhbGciOiJIUzI1NiJ9.e30.sig.extra", false},                  // four segments
			{"eyJhbGciOiJIUzI1NiJ9.e y.sig", false},
		}},
		"IsBearerToken": {IsBearerToken, []tc{
			{"Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", true},
			{"bearer abcdefghijklmnopqrstuvwxyz012345", true},
			{"Bearer short", false},
			{"Bearer of bad news, they said", false},
			{"Beare r abcdefghijklmnopqrstuvwxyz", false},
		}},
		"IsAPIKey": {IsAPIKey, []tc{
			{"sk_live_4eC39HqLyjWDarjtT1zdp7dc", true},
			{"ghp_1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8R", true},
			{"AKIAIOSFODNN7EXAMPLE", true},
			{"AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q", true},
			{"xoxb-123456789012-abcdefABCDEF123456", true},
			{"sk_live_demo", false},                           // prefix alone
			{"sk-this-is-not-a-real-secret-key-value", false}, // prose after the prefix
			{"AKIAlowercase1234567", false},                   // AWS ids are upper case
			{"ghp_", false},
			{"product-sku-123456789012345678", false},
		}},
		"IsPasswordHash": {IsPasswordHash, []tc{
			{"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", true},
			{"$2y$10$abcdefghijklmnopqrstuu5Jm7cSxUq5LYXmC.GN.DcqVFrm6lXPK", true},
			{"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", true},
			{"$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", true},
			{"$pbkdf2-sha256$29000$N2bMWSuFcI7xvhfCOOd8rw$ZFr3SX1h9s2hnvVVjbR7rMkSYUU5qKQ5Y0UWbR1tMHc", true},
			{"pbkdf2_sha256$600000$saltsaltsalt$HASHhashHASHhash0123456789abcdefABCDEF=", true},
			{"pbkdf2:sha256:600000$Rsk2nP4F$0123456789abcdef0123456789abcdef0123456789abcdef", true},
			{"$6$rounds=5000$saltsalt$Zr9h1FW7RXvFt6g6qU0tBqR9GsPvJ8w1uPqC1YyKDhT.Zr9h1FW7RXvFt6g6qU0tBqR9GsPv", true},
			{"deadbeef", false},                         // short hex
			{"5f4dcc3b5aa765d61d8327deb882cf99", false}, // bare MD5 hex: a checksum looks the same
			{"$2b$10$tooShort", false},                  // bcrypt prefix, wrong length
			{"$2b$xx$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", false}, // cost not digits
			{"pbkdf2_sha256$many$salt$hash0123456789", false},                       // iterations not a number
			{"price is $5 and $6", false},
		}},
		"IsCardNumber": {IsCardNumber, []tc{
			{"4111111111111111", true},
			{"4111 1111 1111 1111", true},
			{"5500-0000-0000-0004", true},
			{"378282246310005", true},   // Amex
			{"6011111111111117", true},  // Discover
			{"4111111111111112", false}, // 16 digits, fails Luhn
			{"0000000000000000", false}, // passes Luhn, no issuer
			{"1234567812345670", false}, // passes Luhn, no issuer
			{"4111  1111 1111 1111", false},
			{"411111111111", false}, // too short
			{"4111-1111-1111-111a", false},
		}},
		"IsPhoneNumber": {IsPhoneNumber, []tc{
			{"+1-555-0111", true},
			{"+44 20 7946 0958", true},
			{"+4915112345678", true},
			{"(555) 123-4567", true},
			{"555-123-4567", true},
			{"555.123.4567", true},
			{"2024-01-15", false},  // a date
			{"1234567890", false},  // a bare number
			{"12345.67890", false}, // a decimal
			{"1.2.3.4.5.6.7", false},
			{"+12", false},
			{"10:30:45 12", false},
			{"v1.2.3-rc1", false},
		}},
		"IsIPAddress": {IsIPAddress, []tc{
			{"10.0.1.2", true},
			{"192.168.0.1/24", true},
			{"2001:db8::1", true},
			{"fe80::1ff:fe23:4567:890a", true},
			{"1.2.3", false},       // a version
			{"1.2.3.400", false},   // out of range
			{"01.02.03.04", false}, // leading zeros: a version, not an address
			{"12:30:45", false},    // a time
			{"v1.2.3.4", false},
			{"1.2.3.4.5", false},
			{"10.0.0.1/abc", false},
		}},
	}
	for name, c := range cases {
		for _, x := range c.cases {
			if got := c.fn(x.in); got != x.want {
				t.Errorf("%s(%q) = %v, want %v", name, x.in, got, x.want)
			}
		}
	}
}

func TestDetectFindsShapesInsideFreeText(t *testing.T) {
	cases := []struct {
		in   string
		want Kind
	}{
		{"please write to ann@example.com, thanks", KindEmail},
		{`{"contact": "mailto:bob@example.org"}`, KindEmail},
		{"https://api.example.com/cb?code=1&token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", KindJWT},
		{"Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", KindBearer},
		{"key: sk_live_4eC39HqLyjWDarjtT1zdp7dc.", KindAPIKey},
		{"login from 10.1.2.3 failed", KindIPAddress},
		{"hash=$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", KindPasswordHash},
		{"4111 1111 1111 1111", KindCardNumber},
		{"+44 20 7946 0958", KindPhone},
		{"Widget Pro 3000 (blue)", 0},
		{"https://shop1.example.com/products/42?ref=home", 0},
		{"release 1.2.3 shipped on 2024-01-15", 0},
		{"", 0},
	}
	for _, c := range cases {
		if got := Detect(c.in); got != c.want {
			t.Errorf("Detect(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestVerdictNeedsMoreEvidenceForWeakShapes(t *testing.T) {
	r := sampleResult{values: 40}
	r.add(KindPhone) // 1 of 40 phone-like values: a stray number, not a phone column
	if _, _, ok := r.verdict(); ok {
		t.Error("one weak match in 40 values settled the column")
	}
	for i := 0; i < 25; i++ {
		r.add(KindPhone)
	}
	if k, n, ok := r.verdict(); !ok || k != KindPhone || n != 26 {
		t.Errorf("26/40 phone-like values: verdict %v %d %v", k, n, ok)
	}
	s := sampleResult{values: 40}
	s.add(KindEmail) // one e-mail address in free text is enough
	if k, _, ok := s.verdict(); !ok || k != KindEmail {
		t.Errorf("one e-mail in 40: verdict %v %v", k, ok)
	}
}

var benchValues = []string{
	"ann.lee@example.com", "Widget Pro 3000", "https://shop1.example.com/products/42?ref=home",
	"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", "4111 1111 1111 1111", "+44 20 7946 0958",
	"10.0.1.2", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "Visited shop 3, review 12 — great service!",
	`{"local_pack": true, "reviews": 4}`, "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "2001:db8::1",
}

func BenchmarkDetectors(b *testing.B) {
	b.ReportAllocs()
	var bytes int64
	for _, v := range benchValues {
		bytes += int64(len(v))
	}
	b.SetBytes(bytes)
	for b.Loop() {
		for _, v := range benchValues {
			_ = Detect(v)
		}
	}
}
