package flows_test

import (
	"fmt"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/pcaps"
)

// A Table groups packets into conversations; Classify decides who is the
// client and the server of each, with the evidence and how sure it is,
// and Conversations streams them in ID order, one reused value at a time
// (breaking out of the loop stops it).
func ExampleTable() {
	s, err := capture.Open([]string{pcaps.Path("webserver.pcap")}, capture.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	t := flows.NewTable(flows.DefaultConfig())
	var p capture.Packet
	for s.Next(&p) == nil {
		t.Add(&p)
	}
	convs := t.Classify()
	for c := range convs.Conversations() {
		if c.ID > 4 {
			break
		}
		fmt.Printf("#%d %s %v:%d -> %v:%d: %s, client by %s (%s), %d+%d packets\n", c.ID, flows.ProtoName(c.Proto),
			c.Client.Addr, c.Client.Port, c.Server.Addr, c.Server.Port,
			c.State, c.Evidence, c.Confidence, c.ToServer.Packets, c.ToClient.Packets)
	}
	fmt.Println(convs.Len(), "conversations")
	// Output:
	// #1 udp 10.0.1.10:36488 -> 10.0.0.2:53: two-way, client by payload (high), 1+1 packets
	// #2 udp 10.0.1.10:49397 -> 10.0.0.2:53: two-way, client by payload (high), 1+1 packets
	// #3 tcp 10.0.1.10:50382 -> 192.0.2.80:80: closed-fin, client by syn (certain), 9+7 packets
	// #4 udp 10.0.1.10:34195 -> 10.0.0.2:53: two-way, client by payload (high), 1+1 packets
	// 15 conversations
}

// StreamConversations reports each conversation when it has ended (idle
// past its timeout, closed past the linger, or its 5-tuple reused), in ID
// order, so that memory follows the conversations live at once: the way
// to read a live interface or a capture of millions of connections. The
// ones still live at the end come last.
func ExampleStreamConversations() {
	s, err := capture.Open([]string{pcaps.Path("webserver.pcap")}, capture.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	n := 0
	sum := flows.StreamConversations(s, flows.DefaultConfig(), func(c *flows.Conversation) {
		if n++; n <= 3 {
			fmt.Printf("#%d %s %v -> %v:%d %s\n", c.ID, flows.ProtoName(c.Proto), c.Client.Addr, c.Server.Addr, c.Server.Port, c.State)
		}
	})
	fmt.Println(n, "conversations,", sum.Packets, "packets")
	// Output:
	// #1 udp 10.0.1.10 -> 10.0.0.2:53 two-way
	// #2 udp 10.0.1.10 -> 10.0.0.2:53 two-way
	// #3 tcp 10.0.1.10 -> 192.0.2.80:80 closed-fin
	// 15 conversations, 194 packets
}
