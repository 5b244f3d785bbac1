package classify

import (
	"net/netip"
	"strings"
)

// Kind is what a detector recognises in a value. Kinds combine as a bit set.
type Kind uint16

// The detector kinds. Each names a shape of sensitive data (policy §5: credentials,
// e-mail addresses, auth tokens) or of personal data that needs the same care.
const (
	KindEmail        Kind = 1 << iota // an e-mail address
	KindJWT                           // a JSON Web Token
	KindBearer                        // an HTTP "Bearer <token>" credential
	KindAPIKey                        // an API key of a known provider shape
	KindPasswordHash                  // a salted password hash (bcrypt, argon2, scrypt, PBKDF2, sha-crypt)
	KindCardNumber                    // a payment card number (IIN prefix and Luhn checksum)
	KindPhone                         // a telephone number
	KindIPAddress                     // an IPv4 or IPv6 address
	kindEnd
)

// AllKinds lists every detector kind in a fixed order.
func AllKinds() []Kind {
	return []Kind{KindEmail, KindJWT, KindBearer, KindAPIKey, KindPasswordHash, KindCardNumber, KindPhone, KindIPAddress}
}

// Has reports whether k includes every kind of o.
func (k Kind) Has(o Kind) bool { return k&o == o && o != 0 }

// String names a single kind ("email", "jwt", …).
func (k Kind) String() string {
	switch k {
	case KindEmail:
		return "email"
	case KindJWT:
		return "jwt"
	case KindBearer:
		return "bearer-token"
	case KindAPIKey:
		return "api-key"
	case KindPasswordHash:
		return "password-hash"
	case KindCardNumber:
		return "card-number"
	case KindPhone:
		return "phone-number"
	case KindIPAddress:
		return "ip-address"
	}
	var parts []string
	for _, one := range AllKinds() {
		if k.Has(one) {
			parts = append(parts, one.String())
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Describe says what a reason calls values of this kind: "e-mail addresses".
func (k Kind) Describe() string {
	switch k {
	case KindEmail:
		return "e-mail addresses"
	case KindJWT:
		return "JSON Web Tokens"
	case KindBearer:
		return "bearer tokens"
	case KindAPIKey:
		return "API keys"
	case KindPasswordHash:
		return "password hashes"
	case KindCardNumber:
		return "payment card numbers"
	case KindPhone:
		return "phone numbers"
	case KindIPAddress:
		return "IP addresses"
	}
	return k.String()
}

// strong reports whether one match is enough evidence. Strong shapes (an e-mail
// address, a JWT, a modular-crypt hash, a provider key) almost never occur by accident;
// weak ones (digits that pass Luhn, phone-like or IP-like strings) need a share of the
// sample, because identifiers and version numbers can look like them.
func (k Kind) strong() bool {
	switch k {
	case KindEmail, KindJWT, KindBearer, KindAPIKey, KindPasswordHash:
		return true
	}
	return false
}

// Detect returns every kind found in value. Whole-value shapes (phone and card numbers,
// which contain spaces) are tested on the trimmed value; the others also on each token
// of free text, so "write to ann@example.org" counts as containing an e-mail address.
// Detect does not allocate.
func Detect(value string) Kind {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0
	}
	var k Kind
	if IsPhoneNumber(v) {
		k |= KindPhone
	}
	if IsCardNumber(v) {
		k |= KindCardNumber
	}
	if IsBearerToken(v) {
		k |= KindBearer
	}
	if len(v) > 4096 {
		v = v[:4096] // callers cap sampled values; never spend more on one value
	}
	for rest := v; rest != ""; {
		var tok string
		tok, rest = nextToken(rest)
		if tok == "" {
			continue
		}
		k |= detectToken(tok)
	}
	return k
}

// detectToken tests one whitespace/quote-delimited token, then its parts split at
// ",=&?" for shapes embedded in query strings and lists.
func detectToken(tok string) Kind {
	var k Kind
	// Hashes before splitting: argon2 and PBKDF2 strings contain ',' and '='. A hash may
	// follow a "key=" or "key:" label.
	if IsPasswordHash(tok) {
		k |= KindPasswordHash
	} else if i := strings.IndexByte(tok, '$'); i > 0 && (tok[i-1] == '=' || tok[i-1] == ':') && IsPasswordHash(tok[i:]) {
		k |= KindPasswordHash
	}
	k |= detectPart(tok)
	if strings.ContainsAny(tok, ",=&?") {
		for rest := tok; rest != ""; {
			i := strings.IndexAny(rest, ",=&?")
			part := rest
			if i >= 0 {
				part, rest = rest[:i], rest[i+1:]
			} else {
				rest = ""
			}
			if part != "" && part != tok {
				k |= detectPart(part)
			}
		}
	}
	return k
}

func detectPart(p string) Kind {
	p = strings.TrimRight(p, ".,;:!")
	p = strings.TrimPrefix(p, "mailto:")
	var k Kind
	if IsEmail(p) {
		k |= KindEmail
	}
	if IsJWT(p) {
		k |= KindJWT
	}
	if IsAPIKey(p) {
		k |= KindAPIKey
	}
	if IsIPAddress(p) {
		k |= KindIPAddress
	}
	return k
}

// nextToken splits free text at whitespace, quotes and brackets.
func nextToken(s string) (tok, rest string) {
	i := 0
	for i < len(s) && isSep(s[i]) {
		i++
	}
	j := i
	for j < len(s) && !isSep(s[j]) {
		j++
	}
	return s[i:j], s[j:]
}

func isSep(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v', '"', '\'', '`', '<', '>', '(', ')', '[', ']', '{', '}', ';', '|', '\\':
		return true
	}
	return false
}

// IsEmail reports whether s is an e-mail address with a public-looking domain: a local
// part of atext characters without leading, trailing or doubled dots, and a domain of at
// least two labels whose last (the TLD) is alphabetic and at least two letters long. So
// "user@localhost", "a@b.c" and "v@1.2.3" are not addresses; "ann.lee+x@mail.example.org"
// is.
func IsEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || len(s) > 254 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		if !isAlnum(c) && !strings.ContainsRune(".!#$%&'*+/=?^_{|}~-", rune(c)) {
			return false
		}
	}
	labels, last := 0, ""
	for rest := domain; ; {
		i := strings.IndexByte(rest, '.')
		label := rest
		if i >= 0 {
			label, rest = rest[:i], rest[i+1:]
		}
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for j := 0; j < len(label); j++ {
			if !isAlnum(label[j]) && label[j] != '-' {
				return false
			}
		}
		labels++
		last = label
		if i < 0 {
			break
		}
	}
	if labels < 2 || len(last) < 2 {
		return false
	}
	for i := 0; i < len(last); i++ {
		if !isAlpha(last[i]) {
			return false
		}
	}
	return true
}

// IsJWT reports whether s is a JSON Web Token: three base64url segments separated by
// dots whose first (the header) starts with "eyJ" (base64 of `{"`), with a non-empty
// payload. An unsigned token ("alg":"none", empty signature) counts too.
func IsJWT(s string) bool {
	if len(s) < 20 || !strings.HasPrefix(s, "eyJ") {
		return false
	}
	d1 := strings.IndexByte(s, '.')
	if d1 < 0 {
		return false
	}
	d2 := strings.IndexByte(s[d1+1:], '.')
	if d2 < 0 {
		return false
	}
	d2 += d1 + 1
	header, payload, sig := s[:d1], s[d1+1:d2], s[d2+1:]
	if len(header) < 10 || len(payload) < 2 || strings.IndexByte(sig, '.') >= 0 {
		return false
	}
	return isB64URL(header) && isB64URL(payload) && isB64URL(sig)
}

// IsBearerToken reports whether s is an HTTP bearer credential: "Bearer " (any case)
// followed by a token of at least 16 token characters.
func IsBearerToken(s string) bool {
	const p = "bearer "
	if len(s) < len(p)+16 || !strings.EqualFold(s[:len(p)], p) {
		return false
	}
	t := strings.TrimSpace(s[len(p):])
	if len(t) < 16 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isAlnum(c) && !strings.ContainsRune("-._~+/=", rune(c)) {
			return false
		}
	}
	return true
}

// apiKeyPrefixes are the published shapes of common provider keys, with the minimum
// length of the random part that follows the prefix.
var apiKeyPrefixes = []struct {
	prefix string
	min    int
}{
	{"sk_live_", 16}, {"sk_test_", 16}, {"rk_live_", 16}, {"rk_test_", 16}, {"pk_live_", 16}, // Stripe
	{"ghp_", 30}, {"gho_", 30}, {"ghu_", 30}, {"ghs_", 30}, {"ghr_", 30}, {"github_pat_", 40}, // GitHub
	{"glpat-", 20},                              // GitLab
	{"xoxb-", 20}, {"xoxp-", 20}, {"xoxa-", 20}, // Slack
	{"AKIA", 16}, {"ASIA", 16}, // AWS access key ids
	{"AIza", 35}, // Google
	{"sk-", 32},  // OpenAI-style secret keys
	{"SG.", 40},  // SendGrid
}

// IsAPIKey reports whether s has the shape of a provider API key (Stripe, GitHub,
// GitLab, Slack, AWS, Google, OpenAI, SendGrid): a known prefix followed by a random
// part of the provider's length. A prefix alone ("sk_live_demo") does not count.
func IsAPIKey(s string) bool {
	if len(s) < 19 || len(s) > 256 {
		return false
	}
	for _, k := range apiKeyPrefixes {
		if !strings.HasPrefix(s, k.prefix) {
			continue
		}
		rest := s[len(k.prefix):]
		if len(rest) < k.min {
			continue
		}
		digits, letters := 0, 0
		ok := true
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			switch {
			case isDigit(c):
				digits++
			case isAlpha(c):
				letters++
			case c == '_' || c == '-' || c == '.':
			default:
				ok = false
			}
		}
		if k.prefix == "AKIA" || k.prefix == "ASIA" {
			ok = ok && len(rest) == 16 && isUpperAlnum(rest)
		}
		// A random part has both letters and digits; "sk-this-is-not-a-real-secret-key"
		// is prose.
		if ok && digits > 0 && letters > 0 {
			return true
		}
	}
	return false
}

// IsPasswordHash reports whether s is a salted password hash in a standard encoding:
// bcrypt ($2a$/$2b$/$2y$ with cost and 53 characters), argon2 ($argon2id$v=…$m=…),
// scrypt ($scrypt$…, $7$…, Werkzeug "scrypt:…$"), PBKDF2 (passlib "$pbkdf2-sha256$",
// Django "pbkdf2_sha256$", Werkzeug "pbkdf2:sha256:"), and sha-crypt/md5-crypt
// ($1$/$5$/$6$). A bare hex digest is not reported: it cannot be told from a content
// checksum, so name rules (password_hash, token_hash) settle those columns.
func IsPasswordHash(s string) bool {
	if len(s) < 20 || len(s) > 512 {
		return false
	}
	switch {
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		// $2b$12$ + 22 salt + 31 hash characters of bcrypt's base64 alphabet.
		return len(s) == 60 && isDigit(s[4]) && isDigit(s[5]) && s[6] == '$' && isBcrypt64(s[7:])
	case strings.HasPrefix(s, "$argon2i$"), strings.HasPrefix(s, "$argon2d$"), strings.HasPrefix(s, "$argon2id$"):
		return dollarFields(s) >= 5 && strings.Contains(s, "m=") && strings.Contains(s, "t=")
	case strings.HasPrefix(s, "$scrypt$"), strings.HasPrefix(s, "$7$"):
		return dollarFields(s) >= 4
	case strings.HasPrefix(s, "$pbkdf2"): // passlib: $pbkdf2-sha256$rounds$salt$hash
		return dollarFields(s) >= 4 && allDigits(field(s, 1))
	case strings.HasPrefix(s, "pbkdf2_sha"): // Django: algorithm$iterations$salt$hash
		return dollarFields(s) == 4 && allDigits(field(s, 1))
	case strings.HasPrefix(s, "pbkdf2:sha"), strings.HasPrefix(s, "scrypt:"): // Werkzeug: method$salt$hash
		return dollarFields(s) == 3 && len(field(s, 2)) >= 32
	case strings.HasPrefix(s, "$1$"), strings.HasPrefix(s, "$5$"), strings.HasPrefix(s, "$6$"):
		return dollarFields(s) >= 4 && len(field(s, dollarFields(s)-1)) >= 22
	}
	return false
}

// dollarFields counts '$'-separated fields, ignoring a leading '$'.
func dollarFields(s string) int {
	s = strings.TrimPrefix(s, "$")
	return strings.Count(s, "$") + 1
}

// field returns the i-th '$'-separated field (leading '$' ignored).
func field(s string, i int) string {
	s = strings.TrimPrefix(s, "$")
	for ; i > 0; i-- {
		j := strings.IndexByte(s, '$')
		if j < 0 {
			return ""
		}
		s = s[j+1:]
	}
	if j := strings.IndexByte(s, '$'); j >= 0 {
		return s[:j]
	}
	return s
}

// IsCardNumber reports whether s is a payment card number: 13 to 19 digits, optionally
// grouped by single spaces or dashes, with a Visa, Mastercard, American Express,
// Discover, JCB or Diners prefix, passing the Luhn checksum. A 16-digit number that fails
// Luhn, or one with no issuer prefix (such as all zeros), is not a card number.
func IsCardNumber(s string) bool {
	if len(s) < 13 || len(s) > 23 {
		return false
	}
	var digits [19]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			if n == len(digits) {
				return false
			}
			digits[n] = c - '0'
			n++
		case (c == ' ' || c == '-') && i > 0 && i < len(s)-1 && isDigit(s[i-1]) && isDigit(s[i+1]):
		default:
			return false
		}
	}
	if n < 13 || !knownIIN(digits[:n]) {
		return false
	}
	return luhn(digits[:n])
}

func knownIIN(d []byte) bool {
	p2 := int(d[0])*10 + int(d[1])
	p4 := p2*100 + int(d[2])*10 + int(d[3])
	switch {
	case d[0] == 4: // Visa
		return len(d) == 13 || len(d) == 16 || len(d) == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return len(d) == 16
	case p2 == 34 || p2 == 37: // American Express
		return len(d) == 15
	case p4 == 6011 || p2 == 65 || (p4 >= 6440 && p4 <= 6499): // Discover
		return len(d) >= 16
	case p4 >= 3528 && p4 <= 3589: // JCB
		return len(d) >= 16
	case p2 == 36 || p2 == 38 || (p4 >= 3000 && p4 <= 3059): // Diners Club
		return len(d) >= 14
	}
	return false
}

// luhn checks the mod-10 checksum of digit values.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		v := int(d[i])
		if double {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// IsPhoneNumber reports whether s is a telephone number: either international ("+"
// then 8 to 15 digits, optionally grouped by spaces, dashes, dots or one pair of
// parentheses) or national with 10 or 11 digits in at least two groups, such as
// "(555) 123-4567" or "555-123-4567". A bare run of digits, a date ("2024-01-15"), a
// version ("1.2.3") and a time are not phone numbers.
func IsPhoneNumber(s string) bool {
	if len(s) < 9 || len(s) > 24 {
		return false
	}
	intl := s[0] == '+'
	if intl {
		s = s[1:]
	}
	digits, groups, parens := 0, 0, 0
	inGroup := false
	var lastSep byte
	seps := 0 // separators between groups
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
			if !inGroup {
				groups++
				inGroup = true
			}
			continue
		case c == '(':
			parens++
			if parens > 1 || !strings.Contains(s[i:], ")") {
				return false
			}
		case c == ')':
			if parens != 1 {
				return false
			}
		case c == ' ' || c == '-' || c == '.':
			if lastSep != 0 && lastSep != c && c != ' ' && lastSep != ' ' {
				return false // "12.34-56" mixes separators
			}
			lastSep = c
			seps++
		default:
			return false
		}
		inGroup = false
	}
	if intl {
		return digits >= 8 && digits <= 15
	}
	if digits < 10 || digits > 11 || groups < 2 {
		return false
	}
	// A dotted national number ("555.123.4567") is a phone number, but four or more
	// dotted groups look like an address or a version; a first group longer than an
	// area code ("12345.67890") is a decimal number.
	if lastSep == '.' && groups > 3 {
		return false
	}
	first := s
	if i := strings.IndexAny(s, " -.)"); i >= 0 {
		first = strings.TrimPrefix(s[:i], "(")
	}
	return len(first) <= 4 && seps+parens > 0
}

// IsIPAddress reports whether s is an IPv4 address in dotted-quad form (no leading
// zeros, each part ≤ 255) or an IPv6 address, optionally with a CIDR prefix length.
// "1.2.3" and "1.2.3.400" are versions or garbage, not addresses; "12:30:45" is a time.
func IsIPAddress(s string) bool {
	if len(s) < 7 || len(s) > 49 {
		return false
	}
	if i := strings.IndexByte(s, '/'); i > 0 {
		bits := s[i+1:]
		if len(bits) == 0 || len(bits) > 3 || !allDigits(bits) {
			return false
		}
		s = s[:i]
	}
	if strings.Count(s, ".") == 3 && !strings.Contains(s, ":") {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is4()
	}
	if strings.Count(s, ":") >= 2 && !strings.Contains(s, "%") {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is6()
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

func isB64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isBcrypt64(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '/' {
			return false
		}
	}
	return true
}
