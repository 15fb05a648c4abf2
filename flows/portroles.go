package flows

// PortRoles decides client and server of a TCP or UDP conversation from
// its two ports alone, with the packet classifier's port rules
// (service-port, ephemeral-port, then lower-port; equal ports: A is the
// client), for callers that have no packets, such as flow-log records.
// pa is the port of side A (the sender of the first record), pb that of
// side B. Fan-in and known-role evidence are not applied.
func PortRoles(pa, pb uint16) (clientIsA bool, ev Evidence, conf Confidence) {
	r := rec{k: key{pa: pa, pb: pb}, flags: fContinued}
	d, ok := classifyPortsEarly(&r)
	if !ok {
		d = classifyLate(&r, nil)
	}
	return d.client == 0, d.evidence, d.confidence
}
