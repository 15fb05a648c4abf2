// Package ephemeral holds the ephemeral (client) port ranges of common
// operating systems and AWS managed services, as data. It has no
// dependencies so that both the conversation table and the NACL packages
// can use it.
package ephemeral

// Profile is a named ephemeral port range, inclusive at both ends.
type Profile struct {
	// Name is the stable identifier used in flags and output.
	Name string
	// From and To bound the range, inclusive.
	From, To uint16
	// Description says whose range it is and where it is documented.
	Description string
}

// Contains reports whether port lies in the profile's range.
func (p Profile) Contains(port uint16) bool { return port >= p.From && port <= p.To }

// Width is the number of ports in the range.
func (p Profile) Width() int { return int(p.To) - int(p.From) + 1 }

// Profiles lists every known profile, narrowest first, so
// that the first profile covering a set of ports is the narrowest one.
var Profiles = []Profile{
	{"windows-2003", 1025, 5000, "Windows through Server 2003 (Microsoft KB 929851)"},
	{"windows", 49152, 65535, "Windows Server 2008 and later, macOS, IANA dynamic ports (RFC 6335); alias iana"},
	{"linux", 32768, 60999, "Linux >= 4.2 default net.ipv4.ip_local_port_range (kernel ip-sysctl docs)"},
	{"aws-doc-linux", 32768, 61000, "Linux before 4.2 and Amazon Linux, as the AWS NACL guide states"},
	{"freebsd", 10000, 65535, "FreeBSD IPPORT_EPHEMERALFIRST..LAST"},
	{"aws-managed", 1024, 65535, "NAT gateway, Elastic Load Balancing, Lambda (AWS NACL guide)"},
}

// ByName returns the profile with the given name ("iana" is an alias of "windows").
func ByName(name string) (Profile, bool) {
	if name == "iana" {
		name = "windows"
	}
	for _, p := range Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// Matching returns the names of the profiles whose range contains port, in
// the order of Profiles (narrowest first). The slice is shared between
// calls (it does not allocate): callers must not modify it.
func Matching(port uint16) []string {
	return matchingByMask[portMask[port]]
}

// portMask[port] has bit i set when Profiles[i] contains port; the few
// distinct masks map to shared name lists (an array: Matching runs for
// every conversation, a map lookup was most of its cost).
var (
	portMask       [65536]uint8
	matchingByMask [256][]string
)

func init() {
	if len(Profiles) > 8 {
		panic("ephemeral: more than 8 profiles do not fit the port mask")
	}
	for port := 0; port < 65536; port++ {
		var m uint8
		for i, p := range Profiles {
			if p.Contains(uint16(port)) {
				m |= 1 << i
			}
		}
		portMask[port] = m
		if matchingByMask[m] == nil {
			var names []string
			for i, p := range Profiles {
				if m&(1<<i) != 0 {
					names = append(names, p.Name)
				}
			}
			matchingByMask[m] = names
		}
	}
}

// Narrowest returns the narrowest profile covering every port in ports, and
// false when none covers them all (or ports is empty).
func Narrowest(ports []uint16) (Profile, bool) {
	if len(ports) == 0 {
		return Profile{}, false
	}
	lo, hi := ports[0], ports[0]
	for _, p := range ports[1:] {
		lo, hi = min(lo, p), max(hi, p)
	}
	for _, p := range Profiles {
		if p.Contains(lo) && p.Contains(hi) {
			return p, true
		}
	}
	return Profile{}, false
}

// InAny reports whether port lies in at least one profile.
func InAny(port uint16) bool {
	for _, p := range Profiles {
		if p.Contains(port) {
			return true
		}
	}
	return false
}
