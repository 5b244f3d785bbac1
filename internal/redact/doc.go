// Package redact hides credentials in object-store URLs and in messages that quote them,
// so that an error, a log line or a JSON report never carries a secret.
//
// URL redacts one URL; Text redacts every URL-like substring of a longer string (an error
// message, a command line) and every sensitive key=value pair outside those URLs. Both
// work on raw text: a string need not parse as a URL (an access secret with '/', '+', '@',
// '?' or '%' in an s3://KEY:SECRET@bucket form is hidden whole), and the output keeps
// everything else exactly as written.
//
// Every hidden value is replaced by Marker ("REDACTED"):
//
//   - the whole userinfo of the authority, user:password or a lone user token:
//     s3://AKIA…:wJal…@bucket → s3://REDACTED@bucket. When the part after "://" has a
//     ':' or '@' before any '/', '?' or '#' and holds an '@', everything up to its last
//     '@' is userinfo (a password may contain '@', '/', '?' or '#'; a lone user token
//     containing '/', '?' or '#' cannot be told from a path and is not recognized);
//   - the value of every query or fragment parameter whose key, percent-decoded and
//     compared without case, '-', '_' and '.', contains "secret", "token", "password",
//     "passwd", "credential", "signature", "accesskey", "apikey", "privatekey",
//     "sessionkey" or "authorization", or is "sig", "pwd", "pw" or "pass". That covers
//     gocloud/AWS keys (access_key_id, secret_access_key, session_token), presigned
//     URLs (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token) and Azure SAS
//     (sig). A parameter without '=' right after a hidden value is hidden too (it is
//     most likely the rest of a value with an unescaped '&', ';' or '#');
//   - a URL nested in a parameter value (endpoint=http://user:pass@host) or in the
//     path is redacted the same way.
//
// Empty values stay empty. Redaction errs on the side of hiding: a URL with a port and
// an '@' later in its path loses its host too.
//
// In Text, a URL that is the value of a sensitive key (password=scheme://…) is hidden
// whole. Text takes a URL to start at a scheme ("s3://", "https://", …) and to end at
// whitespace or a quote character (" ' ` < >), minus trailing punctuation (.,;:!)]}).
// A secret containing whitespace or quotes inside a URL embedded in a message is
// therefore beyond it: pass such a URL to URL on its own.
package redact
