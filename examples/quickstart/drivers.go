package main

// The archive store is a gocloud.dev/blob URL; the library registers no driver, so the
// program picks the ones it supports.
import (
	_ "gocloud.dev/blob/fileblob" // file:///dir (the default store)
	_ "gocloud.dev/blob/s3blob"   // s3://bucket?…
)
