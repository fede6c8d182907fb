//go:build !unix

package mapstore_test

import "testing"

const nobodyDirEnv = "SECDS_TEST_NOBODY_DIR"

func asNobody(t *testing.T, test string) {
	t.Skipf("%s needs a non-root user, and this platform has no setuid for a test", test)
}
