package render

import (
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// CheckCSVHeader is the header of --format csv.
var CheckCSVHeader = []string{"id", "proto", "client", "client_port", "server", "server_port", "state", "status",
	"request_verdict", "request_checks", "request_packets", "request_denied",
	"response_verdict", "response_checks", "response_packets", "response_denied",
	"first_denied", "first_denied_file", "first_denied_frame", "explanation", "fix", "class", "cause"}

// EachCheckCSVRow calls fn with the CSV row (see CheckCSVHeader) of every
// conversation in turn, without holding them all; it stops at fn's first error.
func (o *Options) EachCheckCSVRow(r *replay.Report, fn func([]string) error) error {
	return o.eachListed(r, func(cr *replay.ConvResult) error {
		c := cr.Conv
		cp, sp := "", ""
		if c.HasPorts() {
			cp, sp = strconv.Itoa(int(c.Client.Port)), strconv.Itoa(int(c.Server.Port))
		}
		var fd, ff, fr string
		for _, l := range []*replay.Leg{&cr.Request, &cr.Response} {
			if l.Denied > 0 && (fd == "" || o.FormatTime(l.FirstDenied) < fd) {
				fd, ff, fr = o.FormatTime(l.FirstDenied), o.file(l.FirstDeniedFrame.File), strconv.FormatInt(l.FirstDeniedFrame.Frame, 10)
			}
		}
		var fixes []string
		for _, i := range cr.Fixes {
			fixes = append(fixes, r.Fixes[i].Line)
		}
		legV := func(l *replay.Leg) string {
			if l.Verdict == "" {
				return "none"
			}
			return string(l.Verdict)
		}
		return fn([]string{strconv.Itoa(c.ID), flows.ProtoName(c.Proto), c.Client.Addr.String(), cp, c.Server.Addr.String(), sp,
			string(c.State), string(cr.Status),
			legV(&cr.Request), ChecksText(cr.Request.Checks, true), u64(cr.Request.Packets), u64(cr.Request.Denied),
			legV(&cr.Response), ChecksText(cr.Response.Checks, true), u64(cr.Response.Packets), u64(cr.Response.Denied),
			fd, ff, fr, strings.Join(o.sentences(cr), " | "), strings.Join(fixes, " | "), string(cr.Class.Class), string(cr.Class.Cause)})
	})
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }
