package classify

import (
	"strings"

	"github.com/lsos/lsosgov/governance"
)

// TagPrefix starts a class annotation in a column or table comment:
// "Display name of a person. lsos:class=sensitive".
const TagPrefix = "lsos:class="

// ParseAnnotation finds an lsos:class tag in a comment. found reports whether a tag is
// present; err is set when the tag names no policy class (the tag is then ignored, and
// the column reported for review).
func ParseAnnotation(comment string) (c governance.Class, found bool, err error) {
	start, end, ok := findTag(comment)
	if !ok {
		return "", false, nil
	}
	c, err = governance.ParseClass(comment[start+len(TagPrefix) : end])
	if err != nil {
		return "", true, err
	}
	return c, true, nil
}

// WithAnnotation returns comment with its lsos:class tag set to c: an existing tag is
// replaced in place, otherwise the tag is appended after the existing text, so a
// human-written description survives.
func WithAnnotation(comment string, c governance.Class) string {
	tag := TagPrefix + string(c)
	if start, end, ok := findTag(comment); ok {
		return comment[:start] + tag + comment[end:]
	}
	comment = strings.TrimRight(comment, " \t\n")
	if comment == "" {
		return tag
	}
	return comment + " " + tag
}

// findTag locates "lsos:class=<word>" (the word of letters, digits, '_' and '-').
func findTag(comment string) (start, end int, ok bool) {
	start = strings.Index(comment, TagPrefix)
	if start < 0 {
		return 0, 0, false
	}
	end = start + len(TagPrefix)
	for end < len(comment) && (isAlnum(comment[end]) || comment[end] == '_' || comment[end] == '-') {
		end++
	}
	return start, end, true
}
