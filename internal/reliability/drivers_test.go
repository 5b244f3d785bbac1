package reliability

// The tests open file:// and s3:// stores; the library registers no blob driver.
import (
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"
)
