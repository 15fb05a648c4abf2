package render

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
)

// appendConvJSON appends the compact JSON object of one conversation,
// byte for byte what json.Marshal (escapeHTML true) or an Encoder with
// SetEscapeHTML(false) produces for r.convJSON(c), without reflection or
// allocation (flows_json_test.go checks both), with r's files and
// precision.
func (r *flowsFormat) appendConvJSON(b []byte, c *flows.Conversation, escapeHTML bool) []byte {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, int64(c.ID), 10)
	b = append(b, `,"proto":`...)
	b = appendJSONString(b, flows.ProtoName(c.Proto), escapeHTML)
	b = append(b, `,"ip_version":`...)
	b = strconv.AppendUint(b, uint64(c.Version), 10)
	ports := c.HasPorts()
	b = append(b, `,"client":`...)
	b = appendEndpointJSON(b, c.Client, ports, escapeHTML)
	b = append(b, `,"server":`...)
	b = appendEndpointJSON(b, c.Server, ports, escapeHTML)
	if ports {
		b = append(b, `,"service_port":`...)
		b = strconv.AppendUint(b, uint64(c.Server.Port), 10)
	}
	if (c.Proto == capture.ProtoICMP || c.Proto == capture.ProtoICMPv6) && c.Evidence == flows.EvidenceICMPEcho {
		b = append(b, `,"echo_id":`...)
		b = strconv.AppendUint(b, uint64(c.EchoID), 10)
	}
	b = append(b, `,"evidence":`...)
	b = appendJSONString(b, string(c.Evidence), escapeHTML)
	b = append(b, `,"confidence":`...)
	b = appendJSONString(b, string(c.Confidence), escapeHTML)
	b = append(b, `,"client_profiles":[`...)
	for i, p := range c.ClientProfiles {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, p, escapeHTML)
	}
	b = append(b, `],"state":`...)
	b = appendJSONString(b, string(c.State), escapeHTML)
	b = append(b, `,"handshake":`...)
	b = strconv.AppendBool(b, c.HandshakeSeen)
	first, last := c.First(), c.Last()
	b = append(b, `,"first":`...)
	b = appendRFC3339JSON(b, first, r.nano)
	b = append(b, `,"last":`...)
	b = appendRFC3339JSON(b, last, r.nano)
	b = append(b, `,"duration_s":`...)
	b = appendJSONFloat(b, last.Sub(first).Seconds())
	ff := c.FirstFrame()
	b = append(b, `,"first_frame":{"file":`...)
	b = r.appendFileJSON(b, ff.File, escapeHTML)
	b = append(b, `,"frame":`...)
	b = strconv.AppendInt(b, ff.Frame, 10)
	b = append(b, '}')
	b = append(b, `,"to_server":`...)
	b = appendDirJSON(b, c.ToServer)
	b = append(b, `,"to_client":`...)
	b = appendDirJSON(b, c.ToClient)
	b = append(b, `,"icmp_errors":`...)
	b = strconv.AppendUint(b, c.ICMPErrors, 10)
	b = append(b, `,"fragments":`...)
	b = strconv.AppendUint(b, c.Fragments, 10)
	return append(b, '}')
}

func appendEndpointJSON(b []byte, e flows.Endpoint, port, escapeHTML bool) []byte {
	b = append(b, `{"addr":`...)
	if e.Addr.IsValid() && e.Addr.Zone() == "" {
		// Addresses without a zone are plain ASCII: no escaping needed.
		b = append(b, '"')
		b = e.Addr.AppendTo(b)
		b = append(b, '"')
	} else {
		b = appendJSONString(b, e.Addr.String(), escapeHTML)
	}
	if port {
		b = append(b, `,"port":`...)
		b = strconv.AppendUint(b, uint64(e.Port), 10)
	}
	return append(b, '}')
}

func appendDirJSON(b []byte, d flows.DirStats) []byte {
	b = append(b, `{"packets":`...)
	b = strconv.AppendUint(b, d.Packets, 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendUint(b, d.Bytes, 10)
	return append(b, '}')
}

// appendRFC3339JSON appends AppendTime(b, t, nano) as a JSON string (the
// layout's characters need no escaping).
func appendRFC3339JSON(b []byte, t time.Time, nano bool) []byte {
	b = append(b, '"')
	b = AppendTime(b, t, nano)
	return append(b, '"')
}

// appendJSONFloat formats a float64 as encoding/json does (ES6 number
// formatting: 'f' unless the exponent is below -6 or at least 21).
func appendJSONFloat(b []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...) // unreachable for durations
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const jsonHex = "0123456789abcdef"

// jsonSafe[c] and jsonHTMLSafe[c] are true for the ASCII bytes
// encoding/json copies as they are (without and with HTML escaping).
var jsonSafe, jsonHTMLSafe = func() (s, h [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		s[c] = c != '"' && c != '\\'
		h[c] = s[c] && c != '<' && c != '>' && c != '&'
	}
	return s, h
}()

// appendJSONString appends s quoted and escaped as encoding/json does.
func appendJSONString(b []byte, s string, escapeHTML bool) []byte {
	b = append(b, '"')
	safe := &jsonSafe
	if escapeHTML {
		safe = &jsonHTMLSafe
	}
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', jsonHex[c>>4], jsonHex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', jsonHex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonIndenter indents compact JSON as json.Indent does.
type jsonIndenter struct {
	prefix, indent string
	// lines[d] is a newline, the prefix and d indents (usual depths).
	lines [8][]byte
}

func newJSONIndenter(prefix, indent string) *jsonIndenter {
	in := &jsonIndenter{prefix: prefix, indent: indent}
	for d := range in.lines {
		in.lines[d] = []byte("\n" + prefix + strings.Repeat(indent, d))
	}
	return in
}

func (in *jsonIndenter) newline(dst []byte, depth int) []byte {
	if depth >= 0 && depth < len(in.lines) {
		return append(dst, in.lines[depth]...)
	}
	dst = append(dst, '\n')
	dst = append(dst, in.prefix...)
	for range depth {
		dst = append(dst, in.indent...)
	}
	return dst
}

// appendIndentJSON appends src, compact and valid JSON, indented as
// json.Indent(dst, src, prefix, indent) does (no prefix before the
// first line; empty objects and arrays stay {} and []).
func appendIndentJSON(dst, src []byte, prefix, indent string) []byte {
	return newJSONIndenter(prefix, indent).append(dst, src)
}

// append appends src indented.
func (in *jsonIndenter) append(dst, src []byte) []byte {
	depth := 0
	needIndent := false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if needIndent && c != '}' && c != ']' {
			needIndent = false
			depth++
			dst = in.newline(dst, depth)
		}
		switch c {
		case '"':
			// Copy the string through its closing quote.
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			dst = append(dst, src[i:min(j+1, len(src))]...)
			i = j
		case '{', '[':
			needIndent = true
			dst = append(dst, c)
		case ',':
			dst = append(dst, c)
			dst = in.newline(dst, depth)
		case ':':
			dst = append(dst, c, ' ')
		case '}', ']':
			if needIndent {
				needIndent = false
			} else {
				depth--
				dst = in.newline(dst, depth)
			}
			dst = append(dst, c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
