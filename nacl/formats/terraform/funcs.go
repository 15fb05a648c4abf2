package terraform

import (
	"fmt"
	"math/big"
	"net/netip"

	"github.com/hashicorp/hcl/v2/ext/tryfunc"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// functions are the pure Terraform functions flowverify evaluates; any
// other function call is reported as unsupported. Each returns at most the
// size of its arguments (format, join and split are bounded separately,
// see callSize); functions that can build more (range, setproduct,
// replace, chunklist) are left out so that the evaluation budget holds.
var functions = map[string]function.Function{
	"merge":           stdlib.MergeFunc,
	"concat":          stdlib.ConcatFunc,
	"lower":           stdlib.LowerFunc,
	"upper":           stdlib.UpperFunc,
	"format":          stdlib.FormatFunc,
	"join":            stdlib.JoinFunc,
	"lookup":          stdlib.LookupFunc,
	"element":         stdlib.ElementFunc,
	"length":          stdlib.LengthFunc,
	"flatten":         stdlib.FlattenFunc,
	"coalesce":        stdlib.CoalesceFunc,
	"tostring":        stdlib.MakeToFunc(cty.String),
	"tonumber":        stdlib.MakeToFunc(cty.Number),
	"tolist":          stdlib.MakeToFunc(cty.List(cty.DynamicPseudoType)),
	"toset":           stdlib.MakeToFunc(cty.Set(cty.DynamicPseudoType)),
	"keys":            stdlib.KeysFunc,
	"values":          stdlib.ValuesFunc,
	"contains":        stdlib.ContainsFunc,
	"distinct":        stdlib.DistinctFunc,
	"zipmap":          stdlib.ZipmapFunc,
	"tomap":           stdlib.MakeToFunc(cty.Map(cty.DynamicPseudoType)),
	"split":           stdlib.SplitFunc,
	"trimspace":       stdlib.TrimSpaceFunc,
	"trim":            stdlib.TrimFunc,
	"trimprefix":      stdlib.TrimPrefixFunc,
	"trimsuffix":      stdlib.TrimSuffixFunc,
	"substr":          stdlib.SubstrFunc,
	"compact":         stdlib.CompactFunc,
	"coalescelist":    stdlib.CoalesceListFunc,
	"reverse":         stdlib.ReverseListFunc,
	"sort":            stdlib.SortFunc,
	"slice":           stdlib.SliceFunc,
	"setunion":        stdlib.SetUnionFunc,
	"setintersection": stdlib.SetIntersectionFunc,
	"setsubtract":     stdlib.SetSubtractFunc,
	"min":             stdlib.MinFunc,
	"max":             stdlib.MaxFunc,
	"abs":             stdlib.AbsoluteFunc,
	"try":             tryfunc.TryFunc,
	"can":             tryfunc.CanFunc,
	"cidrsubnet":      cidrSubnetFunc,
	"cidrhost":        cidrHostFunc,
}

// cidrSubnetFunc is Terraform's cidrsubnet(prefix, newbits, netnum).
var cidrSubnetFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "newbits", Type: cty.Number},
		{Name: "netnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("invalid CIDR %q", args[0].AsString())
		}
		nb, acc := args[1].AsBigFloat().Int64()
		if acc != big.Exact || nb < 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("newbits must be a non-negative integer")
		}
		num, acc := args[2].AsBigFloat().Int(nil)
		if acc != big.Exact || num.Sign() < 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("netnum must be a non-negative integer")
		}
		p = p.Masked()
		bits := p.Addr().BitLen()
		newLen := p.Bits() + int(nb)
		if nb > int64(bits) || newLen > bits {
			return cty.UnknownVal(cty.String), fmt.Errorf("insufficient address space to extend prefix of %d by %d", p.Bits(), nb)
		}
		if num.BitLen() > int(nb) {
			return cty.UnknownVal(cty.String), fmt.Errorf("prefix extension of %d does not accommodate a subnet numbered %s", nb, num)
		}
		addr := addrInt(p.Addr())
		addr.Or(addr, new(big.Int).Lsh(num, uint(bits-newLen)))
		return cty.StringVal(netip.PrefixFrom(intAddr(addr, bits), newLen).String()), nil
	},
})

// cidrHostFunc is Terraform's cidrhost(prefix, hostnum); a negative
// hostnum counts from the end of the range.
var cidrHostFunc = function.New(&function.Spec{
	Params: []function.Parameter{
		{Name: "prefix", Type: cty.String},
		{Name: "hostnum", Type: cty.Number},
	},
	Type: function.StaticReturnType(cty.String),
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
		p, err := netip.ParsePrefix(args[0].AsString())
		if err != nil {
			return cty.UnknownVal(cty.String), fmt.Errorf("invalid CIDR %q", args[0].AsString())
		}
		num, acc := args[1].AsBigFloat().Int(nil)
		if acc != big.Exact {
			return cty.UnknownVal(cty.String), fmt.Errorf("hostnum must be an integer")
		}
		p = p.Masked()
		bits := p.Addr().BitLen()
		size := new(big.Int).Lsh(big.NewInt(1), uint(bits-p.Bits()))
		if num.Sign() < 0 {
			num.Add(num, size)
		}
		if num.Sign() < 0 || num.Cmp(size) >= 0 {
			return cty.UnknownVal(cty.String), fmt.Errorf("prefix of %d does not accommodate a host numbered %s", p.Bits(), args[1].AsBigFloat().Text('f', -1))
		}
		addr := addrInt(p.Addr())
		addr.Add(addr, num)
		return cty.StringVal(intAddr(addr, bits).String()), nil
	},
})

// addrInt converts an address to an integer.
func addrInt(a netip.Addr) *big.Int {
	b := a.AsSlice()
	return new(big.Int).SetBytes(b)
}

// intAddr converts an integer back to an address of bits length.
func intAddr(n *big.Int, bits int) netip.Addr {
	buf := make([]byte, bits/8)
	n.FillBytes(buf)
	a, _ := netip.AddrFromSlice(buf)
	return a
}

// supportedFunc reports whether name is in functions.
func supportedFunc(name string) bool {
	_, ok := functions[name]
	return ok
}
