package redact

import (
	"net/url"
	"strings"
)

// Marker replaces every hidden value.
const Marker = "REDACTED"

// URL returns s with the credentials of a single URL hidden (see the package
// documentation for what counts). s need not parse as a URL.
func URL(s string) string { return redactURL(s, 0) }

// maxDepth bounds how deep URLs nested in values and paths are parsed; deeper ones are
// hidden whole. It keeps the work linear in the input.
const maxDepth = 4

func redactURL(s string, depth int) string {
	authStart := 0
	if i := strings.Index(s, "://"); i >= 0 && isScheme(s[:i]) {
		authStart = i + 3
	}
	rest := s[authStart:]

	// Userinfo. An IPv6 literal's colons are not a user:password separator.
	scanFrom := 0
	if strings.HasPrefix(rest, "[") {
		if j := strings.IndexByte(rest, ']'); j > 0 {
			scanFrom = j + 1
		}
	}
	var b strings.Builder
	b.WriteString(s[:authStart])
	if k := strings.IndexAny(rest[scanFrom:], ":@/?#"); k >= 0 {
		first := scanFrom + k
		switch at := strings.LastIndexByte(rest, '@'); {
		case (rest[first] == '@' || rest[first] == ':') && at >= 0:
			if at > 0 {
				b.WriteString(Marker)
			}
			rest = rest[at:] // keeps the '@'
		case rest[first] == ':' && !isPort(rest[first+1:]):
			// host:not-a-port, or user:password with no host: hide what follows the
			// colon up to the query.
			after := rest[first+1:]
			end := len(after)
			if q := strings.IndexAny(after, "?#"); q >= 0 {
				end = q
			}
			b.WriteString(rest[:first+1])
			if end > 0 {
				b.WriteString(Marker)
			}
			rest = after[end:]
		}
	}

	// Host and path, then the query and fragment.
	q := strings.IndexAny(rest, "?#")
	if q < 0 {
		q = len(rest)
	}
	hostPath := rest[:q]
	if strings.Contains(hostPath, "://") {
		if depth >= maxDepth {
			hostPath = Marker
		} else {
			hostPath = redactText(hostPath, depth+1)
		}
	}
	b.WriteString(hostPath)
	b.WriteString(redactParams(rest[q:], depth))
	return b.String()
}

// isScheme reports whether s is a URL scheme: a letter, then letters, digits, + - .
func isScheme(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isSchemeChar(s[i]) {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSchemeChar(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// isPort reports whether s, up to its first '/', '?' or '#', is empty or all digits.
func isPort(s string) bool {
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// redactParams redacts the query and fragment part of a URL (starting with '?' or '#',
// or empty): parameters are separated by '&', ';' or '#'.
func redactParams(s string, depth int) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteByte(s[0])
	hiding := false // the previous parameter's value was hidden
	for part, rest, more := "", s[1:], true; more; {
		i := strings.IndexAny(rest, "&;#")
		if i < 0 {
			part, rest, more = rest, "", false
		} else {
			part, rest = rest[:i], rest[i:]
		}
		key, val, hasEq := strings.Cut(part, "=")
		switch {
		case !hasEq && hiding && part != "":
			b.WriteString(Marker)
		case !hasEq:
			b.WriteString(part)
		case sensitiveKey(key):
			b.WriteString(key)
			b.WriteByte('=')
			if val != "" {
				b.WriteString(Marker)
			}
			hiding = true
		default:
			b.WriteString(key)
			b.WriteByte('=')
			b.WriteString(redactNested(val, depth))
			hiding = false
		}
		if more {
			b.WriteByte(rest[0])
			rest = rest[1:]
		}
	}
	return b.String()
}

// redactNested redacts a URL inside a parameter value, as written or percent-encoded.
// It looks at the value once (decoded when it holds escapes), so nesting costs linear
// time, not exponential.
func redactNested(v string, depth int) string {
	nested := strings.Contains(v, "://") || strings.Contains(v, "@")
	if depth >= maxDepth {
		if nested || strings.Contains(v, "%") {
			return Marker
		}
		return v
	}
	if strings.Contains(v, "%") {
		if dec := unescape(v); dec != v {
			if red := redactURL(dec, depth+1); red != dec {
				return url.QueryEscape(red)
			}
			return v
		}
	}
	if nested {
		return redactURL(v, depth+1)
	}
	return v
}

// sensitiveKey reports whether a parameter key names a credential.
func sensitiveKey(key string) bool {
	k := normKey(key)
	switch k {
	case "sig", "pwd", "pw", "pass":
		return true
	}
	for _, w := range sensitiveWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

var sensitiveWords = []string{
	"secret", "token", "password", "passwd", "credential", "signature",
	"accesskey", "apikey", "privatekey", "sessionkey", "authorization",
}

// normKey percent-decodes a key leniently, lowercases it and drops '-', '_', '.', '+'
// and spaces.
func normKey(key string) string {
	key = unescape(key)
	var b strings.Builder
	b.Grow(len(key))
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c == '-' || c == '_' || c == '.' || c == '+' || c == ' ':
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// unescape decodes every valid %XX and leaves anything else as it is.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}

// Text returns s with every URL-like substring passed through URL and every sensitive
// key=value pair outside them hidden. See the package documentation for where an
// embedded URL starts and ends.
func Text(s string) string { return redactText(s, 0) }

func redactText(s string, depth int) string {
	var b strings.Builder
	gap := 0 // start of the text not yet written
	for search := 0; search < len(s); {
		j := strings.Index(s[search:], "://")
		if j < 0 {
			break
		}
		j += search
		start := j
		for start > gap && isSchemeChar(s[start-1]) {
			start--
		}
		for start < j && !isLetter(s[start]) {
			start++
		}
		if start == j { // "://" without a scheme
			search = j + 3
			continue
		}
		end := j + 3
		for end < len(s) && !isURLStop(s[end]) {
			end++
		}
		for end > j+3 && strings.IndexByte(".,;:!)]}", s[end-1]) >= 0 {
			end--
		}
		b.WriteString(redactPairs(s[gap:start]))
		if valueOfSensitiveKey(s[gap:start]) {
			b.WriteString(Marker) // password=scheme://…: the whole value is the secret
		} else {
			b.WriteString(redactURL(s[start:end], depth))
		}
		gap, search = end, end
	}
	b.WriteString(redactPairs(s[gap:]))
	return b.String()
}

// valueOfSensitiveKey reports whether s ends with a sensitive "key=".
func valueOfSensitiveKey(s string) bool {
	if !strings.HasSuffix(s, "=") {
		return false
	}
	k := len(s) - 1
	for k > 0 && isKeyChar(s[k-1]) {
		k--
	}
	return k < len(s)-1 && sensitiveKey(s[k:len(s)-1])
}

func isURLStop(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f', '"', '\'', '`', '<', '>':
		return true
	}
	return false
}

func isKeyChar(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '%'
}

// redactPairs hides the value of every sensitive key=value pair in free text; a value
// ends at whitespace, a quote, '&', ';' or ','.
func redactPairs(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	written := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		k := i
		for k > written && isKeyChar(s[k-1]) {
			k--
		}
		if k == i || !sensitiveKey(s[k:i]) {
			continue
		}
		end := i + 1
		for end < len(s) && !isURLStop(s[end]) && strings.IndexByte("&;,", s[end]) < 0 {
			end++
		}
		if end == i+1 {
			continue
		}
		b.WriteString(s[written : i+1])
		b.WriteString(Marker)
		written = end
		i = end - 1
	}
	b.WriteString(s[written:])
	return b.String()
}
