package main

// The archive and offboarding stores are gocloud.dev/blob URLs; the library registers
// no driver, so the program picks the ones it supports.
import (
	_ "gocloud.dev/blob/fileblob" // file:///dir
	_ "gocloud.dev/blob/s3blob"   // s3://bucket?…
)
