package archive

// The tests open file://, mem:// and s3:// stores; the library registers no driver.
import (
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
)
