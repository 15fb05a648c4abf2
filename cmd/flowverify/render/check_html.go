package render

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl/replay"
)

// The HTML report of check (--format html): one self-contained file (no
// network, no script or style from elsewhere) with the summary, what
// broke with a timeline (SVG drawn here, so that it prints and archives),
// the fixes and their proof, per-rule hit bars, a sortable, filterable
// table of the listed conversations and each broken conversation with its
// sentence and fix. Its size follows the aggregates and the listing
// (o.Select: by default the affected conversations, at most --limit), not
// the capture: a 5-million-conversation capture gives a page of the same
// order as a small one.

// htmlRule is one row of the per-rule hit bars.
type htmlRule struct {
	Label, Action, Text, Flags, Detail string
	Packets                            uint64
	Conversations                      int
	First, Last                        string
	// Bar is the bar's width in the SVG (log scale of packets).
	Bar  float64
	Deny bool
}

// htmlSpan is one bar of the timeline: a rule's (or a service's) denied
// packets from first to last.
type htmlSpan struct {
	Label       string
	X, W        float64
	First, Last string
	Packets     uint64
	Indent      bool
}

// htmlConv is one row of the conversation table.
type htmlConv struct {
	ID                                          int
	Proto, Client, Server, State, Req, Resp, St string
	Denied                                      bool
}

// htmlBroken is one broken conversation's story.
type htmlBroken struct {
	Title     string
	Sentences []string
	Class     string
	Fixes     []string
}

type htmlPage struct {
	Title      string
	Incomplete []IncompleteFile
	Headlines  []string
	Summary    CheckSummaryJSON
	Classes    map[string]int
	Broke      []BrokeJSON
	// BrokeMore counts the services of each rule left out of the page.
	BrokeMore  []int
	Timeline   []htmlSpan
	TimeH      int
	Start, End string
	Fixes      string
	Rules      []htmlRule
	RulesH     int
	Listing    string
	Convs      []htmlConv
	More       bool
	Broken     []htmlBroken
	Notes      []string
}

// WriteCheckHTML writes the HTML report of r.
func (o *Options) WriteCheckHTML(w io.Writer, r *replay.Report, t *replay.Topology) error {
	s := &r.Summary
	p := htmlPage{Title: "flowverify check: " + strings.Join(o.Files, ", "), Incomplete: o.Incomplete, Headlines: Headlines(r),
		Summary: o.CheckSummaryJSON(s), Classes: o.fixesJSON(r).Classes, Broke: o.BrokeJSON(r), Notes: o.checkNotes(r),
		Start: o.FormatTime(s.Start), End: o.FormatTime(s.End)}
	// A scan can deny thousands of services under one rule: the page
	// shows the first htmlServices of each.
	const htmlServices = 100
	for i := range p.Broke {
		n := 0
		if sv := p.Broke[i].Services; len(sv) > htmlServices {
			n = len(sv) - htmlServices
			p.Broke[i].Services = sv[:htmlServices]
		}
		p.BrokeMore = append(p.BrokeMore, n)
	}
	// Timeline: each rule that denied, then its top services, as spans
	// over the capture's duration.
	const width = 600.0
	span := s.End.Sub(s.Start)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return 0
		}
		return width * float64(t.Sub(s.Start)) / float64(span)
	}
	for i := range r.Broke {
		if i == BrokeTop {
			break
		}
		br := &r.Broke[i]
		add := func(label string, first, last time.Time, pk uint64, indent bool) {
			x0, x1 := x(first), x(last)
			p.Timeline = append(p.Timeline, htmlSpan{Label: label, X: x0, W: math.Max(x1-x0, 2), First: o.FormatTime(first),
				Last: o.FormatTime(last), Packets: pk, Indent: indent})
		}
		add(dirWord(br.Direction)+"#"+strconv.Itoa(br.Rule), br.First, br.Last, br.Packets, false)
		for k := range br.Services {
			if k == BrokeTop {
				break
			}
			sv := &br.Services[k]
			add(string(sv.Role)+" "+brokeService(sv.Proto, sv.Port, sv.HasPort), sv.First, sv.Last, sv.Packets, true)
		}
	}
	p.TimeH = 20*len(p.Timeline) + 10
	var fx strings.Builder
	writeFixesText(&fx, r)
	p.Fixes = strings.TrimSpace(fx.String())
	var maxPk float64
	for i := range r.Rules {
		maxPk = math.Max(maxPk, float64(r.Rules[i].Packets))
	}
	multi := multiACL(t)
	for i := range r.Rules {
		h := &r.Rules[i]
		flags := make([]string, len(h.Flags))
		for k, f := range h.Flags {
			flags[k] = string(f)
		}
		bar := 0.0
		if h.Packets > 0 && maxPk > 0 {
			bar = 2 + 298*math.Log1p(float64(h.Packets))/math.Log1p(maxPk)
		}
		p.Rules = append(p.Rules, htmlRule{Label: ruleLabel(h, multi), Action: h.Action.String(), Text: ruleHitText(h), Flags: strings.Join(flags, ", "),
			Detail: ruleHitDetail(h), Packets: h.Packets, Conversations: h.Conversations, First: o.FormatTime(h.First), Last: o.FormatTime(h.Last),
			Bar: bar, Deny: h.Action.String() == "deny"})
	}
	p.RulesH = 20*len(p.Rules) + 10
	sel := &o.Select
	p.Listing = sel.heading("Conversations", s.Affected, s.Conversations)
	n := 0
	err := r.EachBrief(func(cr *replay.ConvResult) error {
		c := cr.Conv
		if !sel.keep(c, cr.Status) {
			return nil
		}
		if sel.Limit > 0 && n >= sel.Limit {
			p.More = true
			return errLimit
		}
		n++
		p.Convs = append(p.Convs, htmlConv{ID: c.ID, Proto: flows.ProtoName(c.Proto), Client: endpoint(c.Client, c.HasPorts()),
			Server: endpoint(c.Server, c.HasPorts()), State: string(c.State), Req: LegCell(&cr.Request, multi), Resp: LegCell(&cr.Response, multi),
			St: string(cr.Status), Denied: isDenied(cr.Status)})
		return nil
	})
	if err != nil && err != errLimit {
		return err
	}
	n = 0
	err = r.EachAffected(func(cr *replay.ConvResult) error {
		if len(cr.Denials) == 0 || !sel.keep(cr.Conv, cr.Status) {
			return nil
		}
		if sel.Limit > 0 && n >= sel.Limit {
			return errLimit
		}
		n++
		c := cr.Conv
		b := htmlBroken{Title: fmt.Sprintf("#%d %s %s -> %s (%s)", c.ID, flows.ProtoName(c.Proto), endpoint(c.Client, c.HasPorts()),
			endpoint(c.Server, c.HasPorts()), cr.Status), Sentences: o.sentences(cr)}
		if cr.Class.Class != "" {
			b.Class = cr.Class.String()
		}
		for _, i := range cr.Fixes {
			b.Fixes = append(b.Fixes, r.Fixes[i].ACL+": "+r.Fixes[i].Line)
		}
		p.Broken = append(p.Broken, b)
		return nil
	})
	if err != nil && err != errLimit {
		return err
	}
	return checkHTML.Execute(w, &p)
}

// htmlFuncs place the SVG rows: row i's text baseline and bar top, and
// the x of a timeline bar and of a rule bar's label.
var htmlFuncs = template.FuncMap{
	"add1":      func(i int) int { return 20*i + 15 },
	"bar":       func(i int) int { return 20*i + 5 },
	"shift":     func(x float64) float64 { return 240 + x },
	"shiftRule": func(w float64) float64 { return 306 + w },
}

var checkHTML = template.Must(template.New("check").Funcs(htmlFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5em;max-width:80em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.9em}td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}
th{cursor:pointer;background:#f4f4f4}td.n{text-align:right}.deny{color:#b00}.ok{color:#070}
.warn{background:#fee;border:1px solid #b00;padding:.5em}pre{background:#f8f8f8;padding:.6em;overflow-x:auto;white-space:pre-wrap}
svg text{font-size:11px;font-family:monospace}
@media print{th{cursor:auto}#filter{display:none}}
</style></head><body>
<h1>{{.Title}}</h1>
{{if .Incomplete}}<div class="warn" id="incomplete"><b>INCOMPLETE</b>: the report covers only what could be read:<ul>{{range .Incomplete}}<li>{{.Name}}: {{.Reason}}</li>{{end}}</ul></div>{{end}}
{{range .Headlines}}<p><b>NOTE</b>: {{.}}</p>{{end}}
<h2>Summary</h2>
<table id="summary">
<tr><th>records read</th><td class="n" id="s-records">{{.Summary.Records}}</td></tr>
<tr><th>IP packets evaluated</th><td class="n" id="s-evaluated">{{.Summary.Evaluated}}</td></tr>
<tr><th>allowed</th><td class="n" id="s-allowed">{{.Summary.Allowed}}</td></tr>
<tr><th>denied</th><td class="n deny" id="s-denied">{{.Summary.Denied}}</td></tr>
<tr><th>exempt</th><td class="n" id="s-exempt">{{.Summary.Exempt}}</td></tr>
<tr><th>not filtered</th><td class="n" id="s-not-filtered">{{.Summary.NotFiltered}}</td></tr>
<tr><th>conversations</th><td class="n" id="s-conversations">{{.Summary.Conversations}}</td></tr>
<tr><th>conversations affected</th><td class="n deny" id="s-affected">{{.Summary.ConversationsAffected}}</td></tr>
<tr><th>breakage / intended / unclear</th><td class="n" id="s-classes">{{index .Classes "breakage"}} / {{index .Classes "intended"}} / {{index .Classes "unclear"}}</td></tr>
</table>
{{if .Broke}}<h2>What broke</h2>
<p>By deciding rule, most conversations first; open a rule for its services (leg, protocol, port) and their peers.</p>
<div id="broke">{{range $i, $r := .Broke}}<details{{if lt $i 3}} open{{end}}><summary class="deny"><b>{{.Direction}} #{{.Rule}}</b> {{.RuleText}} ({{.ACL}}): <b>{{.Conversations}}</b> conversations, <b>{{.Packets}}</b> packets, {{.First}} .. {{.Last}}</summary>
<table><tr><th>leg</th><th>service</th><th>conversations</th><th>packets</th><th>peers</th><th>top peers</th><th>first</th><th>last</th></tr>
{{range .Services}}<tr><td>{{.Leg}}</td><td>{{.Proto}}{{if .Port}}/{{.Port}}{{end}}</td><td class="n">{{.Conversations}}</td><td class="n">{{.Packets}}</td><td class="n">{{.Peers}}</td><td>{{range $k, $p := .TopPeers}}{{if $k}}, {{end}}{{$p.Peer}} ({{$p.Conversations}}){{end}}</td><td>{{.First}}</td><td>{{.Last}}</td></tr>
{{end}}</table>{{with index $.BrokeMore $i}}<p>... {{.}} more services (--format json: broke)</p>{{end}}</details>
{{end}}</div>
<h3>Timeline of denied packets ({{.Start}} .. {{.End}})</h3>
<p>Each bar runs from the first to the last denied packet of a rule (bold) and of its services.</p>
<svg id="timeline" width="900" height="{{.TimeH}}" role="img" aria-label="denied packets per rule over time">
<rect x="240" y="0" width="610" height="{{.TimeH}}" fill="#fafafa"/>
{{range $i, $s := .Timeline}}<text x="{{if $s.Indent}}16{{else}}4{{end}}" y="{{printf "%d" (add1 $i)}}" {{if not $s.Indent}}font-weight="bold"{{end}}>{{$s.Label}}</text><rect x="{{printf "%.1f" (shift $s.X)}}" y="{{printf "%d" (bar $i)}}" width="{{printf "%.1f" $s.W}}" height="12" fill="{{if $s.Indent}}#e88{{else}}#b00{{end}}"><title>{{$s.Label}}: {{$s.Packets}} packets, {{$s.First}} .. {{$s.Last}}</title></rect>
{{end}}</svg>{{end}}
{{if .Fixes}}<h2>Fixes</h2><pre id="fixes">{{.Fixes}}</pre>{{end}}
<h2>Rules</h2>
<p>Packets each rule decided (bar: logarithmic), with the flags never-hit, deny-with-hits and allow-wider-than-used.</p>
<svg id="rules-bars" width="900" height="{{.RulesH}}" role="img" aria-label="packets per rule">
{{range $i, $r := .Rules}}<text x="4" y="{{printf "%d" (add1 $i)}}">{{$r.Label}} {{$r.Text}}</text><rect x="300" y="{{printf "%d" (bar $i)}}" width="{{printf "%.1f" $r.Bar}}" height="12" fill="{{if $r.Deny}}#b00{{else}}#393{{end}}"><title>{{$r.Label}}: {{$r.Packets}} packets</title></rect><text x="{{printf "%.1f" (shiftRule $r.Bar)}}" y="{{printf "%d" (add1 $i)}}">{{$r.Packets}} pkts, {{$r.Conversations}} conv {{$r.Flags}}</text>
{{end}}</svg>
<table id="rules"><tr><th>rule</th><th>action</th><th>matches</th><th>packets</th><th>conversations</th><th>first</th><th>last</th><th>flags</th><th>detail</th></tr>
{{range .Rules}}<tr><td>{{.Label}}</td><td{{if .Deny}} class="deny"{{end}}>{{.Action}}</td><td>{{.Text}}</td><td class="n">{{.Packets}}</td><td class="n">{{.Conversations}}</td><td>{{.First}}</td><td>{{.Last}}</td><td>{{.Flags}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>
<h2>{{.Listing}}</h2>
<p id="filter">Filter: <input id="q" type="search" placeholder="text in any column"> (click a column to sort)</p>
<table id="convs"><thead><tr><th>ID</th><th>proto</th><th>client</th><th>server</th><th>state</th><th>request</th><th>response</th><th>status</th></tr></thead><tbody>
{{range .Convs}}<tr><td class="n">{{.ID}}</td><td>{{.Proto}}</td><td>{{.Client}}</td><td>{{.Server}}</td><td>{{.State}}</td><td>{{.Req}}</td><td>{{.Resp}}</td><td class="{{if .Denied}}deny{{else}}ok{{end}}">{{.St}}</td></tr>
{{end}}</tbody></table>
{{if .More}}<p>More conversations are not shown (--limit N, --all, --format json).</p>{{end}}
{{if .Broken}}<h2>Broken conversations</h2>
{{range .Broken}}<details class="broken" open><summary><b>{{.Title}}</b></summary>{{range .Sentences}}<p>{{.}}</p>{{end}}{{if .Class}}<p>class: {{.Class}}</p>{{end}}{{range .Fixes}}<p>fix: <code>{{.}}</code></p>{{end}}</details>
{{end}}{{end}}
{{if .Notes}}<h2>Notes</h2><ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<script>
(function(){
  var t=document.getElementById('convs'), q=document.getElementById('q');
  q.addEventListener('input',function(){
    var v=q.value.toLowerCase(), rows=t.tBodies[0].rows;
    for(var i=0;i<rows.length;i++){rows[i].style.display=rows[i].textContent.toLowerCase().indexOf(v)<0?'none':'';}
  });
  var ths=t.tHead.rows[0].cells;
  for(var c=0;c<ths.length;c++){(function(c){
    var asc=true;
    ths[c].addEventListener('click',function(){
      var b=t.tBodies[0], rows=Array.prototype.slice.call(b.rows);
      rows.sort(function(x,y){
        var a=x.cells[c].textContent, d=y.cells[c].textContent, na=parseFloat(a), nd=parseFloat(d);
        var r=(!isNaN(na)&&!isNaN(nd))?na-nd:a.localeCompare(d);
        return asc?r:-r;
      });
      asc=!asc;
      rows.forEach(function(r){b.appendChild(r);});
    });
  })(c);}
})();
</script>
</body></html>
`))
