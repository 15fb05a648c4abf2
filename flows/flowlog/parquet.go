package flowlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// parquetSource reads a Parquet file as AWS delivers flow logs to S3:
// one column per field, named with underscores (account_id, tcp_flags;
// hyphens are accepted too), integers as INT32/INT64, the rest as
// strings, absent values as nulls. It streams one row group at a time.
// Record.Line is the 1-based row number in the file.
type parquetSource struct {
	fileCtx
	f       *os.File
	pf      *parquet.File
	groups  []parquet.RowGroup
	gi      int
	rows    parquet.Rows
	row     int64
	fields  []Field // by leaf column index
	names   []string
	rowBuf  []parquet.Row
	batch   []Record
	num     []byte
	done    bool
	hasStat bool
}

func newParquetSource(c fileCtx, f *os.File) (*parquetSource, error) {
	if f == os.Stdin {
		return nil, errors.New("parquet cannot be read from standard input: give the file name")
	}
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot stat: %w", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("not a readable Parquet file: %w", err)
	}
	s := &parquetSource{fileCtx: c, f: f, pf: pf, groups: pf.RowGroups(), batch: make([]Record, batchSize), rowBuf: make([]parquet.Row, batchSize)}
	var names []string
	for _, path := range pf.Schema().Columns() {
		name := path[len(path)-1]
		info, ok := fieldByName[strings.ToLower(name)]
		fld := FieldUnknown
		if ok {
			fld = info.field
		}
		s.fields = append(s.fields, fld)
		s.names = append(s.names, name)
		if ok && fld != FieldSkipped {
			names = append(names, info.name)
		}
		if fld == FieldLogStatus {
			s.hasStat = true
		}
	}
	fm, err := ParseFormat(strings.Join(names, " "))
	if err != nil {
		return nil, fmt.Errorf("parquet schema: %w", err)
	}
	c.sum.Format, c.sum.Version = joinNames(fm), fm.Version
	return s, nil
}

func (s *parquetSource) close() {
	if s.rows != nil {
		s.rows.Close()
	}
	s.f.Close()
}

func (s *parquetSource) next() []Record {
	out := s.batch[:0]
	for !s.done && len(out) == 0 {
		if s.rows == nil {
			if s.gi >= len(s.groups) {
				s.done = true
				break
			}
			s.rows = s.groups[s.gi].Rows()
			s.gi++
		}
		n, err := s.rows.ReadRows(s.rowBuf)
		for i := 0; i < n; i++ {
			s.row++
			s.convert(&out, s.rowBuf[i])
		}
		if err != nil {
			s.rows.Close()
			s.rows = nil
			if !errors.Is(err, io.EOF) {
				s.problem(s.row+1, "cannot read row group: "+err.Error(), true)
				s.done = true
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// convert turns one row into a record, through the text field parser so
// that both formats are validated alike.
func (s *parquetSource) convert(out *[]Record, row parquet.Row) {
	r := &(*out)[:len(*out)+1][len(*out)]
	resetRecord(r)
	r.File, r.Line = s.name, s.row
	for _, v := range row {
		col := v.Column()
		if col < 0 || col >= len(s.fields) || v.IsNull() {
			continue
		}
		fld := s.fields[col]
		if fld == FieldUnknown || fld == FieldSkipped {
			continue
		}
		var b []byte
		switch v.Kind() {
		case parquet.Int32:
			s.num = strconv.AppendInt(s.num[:0], int64(v.Int32()), 10)
			b = s.num
		case parquet.Int64:
			s.num = strconv.AppendInt(s.num[:0], v.Int64(), 10)
			b = s.num
		case parquet.ByteArray, parquet.FixedLenByteArray:
			b = v.ByteArray()
		default:
			b = []byte(v.String())
		}
		if err := setField(r, fld, b, s.in); err != nil {
			err.field = s.names[col]
			s.bad(err.Error())
			return
		}
	}
	if !s.hasStat {
		r.Status = "OK"
	}
	if err := checkRecord(r); err != nil {
		s.bad(err.Error())
		return
	}
	if s.deliver(r) {
		*out = (*out)[:len(*out)+1]
	}
}

func (s *parquetSource) bad(reason string) {
	s.sum.Bad++
	s.rep(Problem{File: s.name, Line: s.row, Row: true, Reason: reason})
}
