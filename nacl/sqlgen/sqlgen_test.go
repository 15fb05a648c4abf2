package sqlgen

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/text"
	"github.com/flowverify/flowverify/nacl/replay"
)

func TestEncodings(t *testing.T) {
	if v := v4Value(netip.MustParseAddr("10.0.1.5")); v != 10<<24|1<<8|5 {
		t.Errorf("v4Value = %d", v)
	}
	if h := v6Hex(netip.MustParseAddr("2001:db8::1")); h != "20010db8000000000000000000000001" {
		t.Errorf("v6Hex = %s", h)
	}
	if a := lastAddr(netip.MustParsePrefix("10.0.1.0/24")); a.String() != "10.0.1.255" {
		t.Errorf("lastAddr v4 = %s", a)
	}
	if a := lastAddr(netip.MustParsePrefix("2001:db8:0:1::/64")); a.String() != "2001:db8:0:1:ffff:ffff:ffff:ffff" {
		t.Errorf("lastAddr v6 = %s", a)
	}
	if c := inPrefix("s", netip.MustParsePrefix("10.0.1.7/24")); c != "(NOT s_v6 AND s4 BETWEEN 167772416 AND 167772671)" {
		t.Errorf("inPrefix = %s", c)
	}
}

func judge(t *testing.T) *replay.Judge {
	acls, _, err := text.Parse("t.nacl", []byte("in 100 allow tcp 0.0.0.0/0 443\nin 110 deny udp ::/0 53\nout 100 allow all 0.0.0.0/0\n"))
	if err != nil {
		t.Fatal(err)
	}
	topo, err := replay.SimpleTopology(acls[0], []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24")}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestDialects(t *testing.T) {
	j := judge(t)
	for _, d := range []Dialect{Athena, Trino, Spark, DuckDB} {
		q, err := Records(j, Options{Dialect: d, Where: "day >= '2024/05/01'"})
		if err != nil {
			t.Fatal(err)
		}
		h, err := Hits(j, Options{Dialect: d})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{q, h} {
			if strings.Count(s, "(") != strings.Count(s, ")") {
				t.Errorf("%s: unbalanced parentheses", d)
			}
		}
		if !strings.Contains(q, "WHERE day >= '2024/05/01'") || !strings.Contains(q, "p_dport BETWEEN 443 AND 443") || !strings.Contains(q, "-110") {
			t.Errorf("%s: query lacks the filter or the rules", d)
		}
		if d == Spark {
			if !strings.Contains(q, "instr(") || strings.Contains(q, "strpos(") || !strings.Contains(q, "`end`") {
				t.Errorf("spark: want instr and backquotes")
			}
		} else if !strings.Contains(q, `"end"`) || strings.Contains(q, "instr(") {
			t.Errorf("%s: want strpos and double quotes", d)
		}
	}
	if _, err := ParseDialect("oracle"); err == nil {
		t.Error("ParseDialect(oracle) should fail")
	}
	// Version 2 tables have no subnet_id, pkt_* or flow_direction columns.
	q, _ := Records(j, Options{Version: 2})
	if strings.Contains(q, "pkt_srcaddr") || strings.Contains(q, "flow_direction") || strings.Contains(q, "subnet_id") {
		t.Error("version 2 query refers to v3+ columns")
	}
}
