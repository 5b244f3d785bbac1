package main

// The benchmarks write to file:// stores; the library registers no blob driver.
import _ "gocloud.dev/blob/fileblob"
