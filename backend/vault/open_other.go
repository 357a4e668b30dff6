//go:build !unix

package vault

const openNonBlock = 0
