// Package s3test gives tests a real S3 bucket: for the archive tests of issue #17 and for
// anything else in this module that writes to object storage through gocloud.dev/blob.
//
// Bucket(t) returns a gocloud s3:// URL of a fresh, empty bucket for the test, found in
// this order:
//
//  1. LSOS_TEST_S3_URL, the user's own S3-compatible server, in gocloud's URL form, e.g.
//
//     s3://my-bucket?endpoint=http://127.0.0.1:9000&region=us-east-1&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required
//
//     with credentials from the standard AWS environment (AWS_ACCESS_KEY_ID,
//     AWS_SECRET_ACCESS_KEY, optionally AWS_SESSION_TOKEN or AWS_PROFILE); keep
//     credentials out of the URL, gocloud refuses them there. The bucket must exist.
//     Each test gets its own key prefix in it (the URL's "prefix" parameter,
//     lsostest/<test>-<random>/, after any prefix the URL already has); the objects
//     under it are deleted when the test ends.
//
//  2. A local SeaweedFS server ("weed server -s3"), one per test binary, started on
//     first use from the binary that .ci/build-seaweedfs builds once per machine
//     (${XDG_CACHE_HOME:-~/.cache}/lsosgov/weed-<SeaweedFSVersion>, or
//     LSOS_SEAWEEDFS_BIN). It listens on 127.0.0.1 only, on free ports, keeps its data
//     in a temp dir and dies with the test binary (parent-death signal). Its identity
//     has a fixed access key and a random secret, which the kit puts in the process
//     environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY; AWS_SESSION_TOKEN is
//     unset) so that gocloud's s3blob URL opener finds them; Server.Env gives them for
//     a child process. Each test gets a new bucket, deleted with its contents when the
//     test ends. Without the binary the test fails with a message naming
//     .ci/build-seaweedfs; it never skips.
//
// Fault tests that break their server (Server.Freeze suspends it with SIGSTOP: a hung
// store that accepts connections and never answers; Server.Thaw resumes it; Server.Kill
// ends it: connections are refused) take one of their own from OwnServer, never the
// shared one. A wrong key needs no server of its own: set AWS_SECRET_ACCESS_KEY (or
// AWS_ACCESS_KEY_ID) to another value with t.Setenv after Bucket and before opening the
// bucket; the server refuses the requests (403 SignatureDoesNotMatch or
// InvalidAccessKeyId).
//
// The URLs use path-style addressing and ask the AWS SDK to compute and validate
// checksums only when an operation requires them, which is what S3-compatible servers
// expect (no SDK warnings about missing response checksums).
//
// Call Main from TestMain to stop the server and remove its files when the tests end.
// Without it the server still dies with the test binary, and the next start sweeps the
// files left behind.
package s3test
