package capture_test

import (
	"fmt"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/pcaps"
)

// Open reads one or more captures as one stream of decoded packets, merged
// by time; every record keeps its file and Wireshark frame number.
func ExampleOpen() {
	s, err := capture.Open([]string{pcaps.Path("webserver.pcap")}, capture.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	var p capture.Packet
	ip, other := 0, 0
	for s.Next(&p) == nil {
		if p.Kind != capture.KindIP {
			other++
			continue
		}
		if ip++; ip <= 3 {
			fmt.Printf("frame %d: %v:%d > %v:%d proto %d, %d bytes\n", p.Frame, p.Src, p.SrcPort, p.Dst, p.DstPort, p.Proto, p.IPLen)
		}
	}
	fmt.Printf("%d IP packets, %d other records; complete: %v\n", ip, other, s.Complete())
	// Output:
	// frame 3: 10.0.1.10:36488 > 10.0.0.2:53 proto 17, 87 bytes
	// frame 4: 10.0.0.2:53 > 10.0.1.10:36488 proto 17, 119 bytes
	// frame 5: 10.0.1.10:49397 > 10.0.0.2:53 proto 17, 64 bytes
	// 192 IP packets, 2 other records; complete: true
}
