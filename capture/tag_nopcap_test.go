//go:build !pcap

package capture

const hasPcapTag = false
