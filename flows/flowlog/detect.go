package flowlog

import (
	"bufio"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
)

// Kind is what a file's content looks like.
type Kind uint8

// Kinds Sniff tells apart.
const (
	KindNone           Kind = iota // not recognisable as flow logs
	KindText                       // text records, with or without the header line
	KindCloudWatchText             // a CloudWatch Logs export: "TIMESTAMP RECORD" per line
	KindCloudWatchJSON             // CloudWatch Logs JSON: events[]/logEvents[] with "message", or one object per line
	KindParquet                    // Parquet (magic PAR1)
)

// String names the kind.
func (k Kind) String() string {
	return [...]string{"none", "text", "cloudwatch-text", "cloudwatch-json", "parquet"}[k]
}

// Sniff recognises flow logs by the first bytes of a file (after
// decompression): "PAR1" (Parquet), a header line of field names, a record
// in the default format (possibly behind a CloudWatch Logs timestamp), or
// CloudWatch Logs JSON (an object whose first key is "events",
// "logEvents", "messageType", "logGroup", "logStream", "message" or
// "timestamp"). Capture files (pcap, pcapng) are never recognised.
func Sniff(head []byte) Kind {
	if bytes.HasPrefix(head, []byte("PAR1")) {
		return KindParquet
	}
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		for _, k := range []string{`"events"`, `"logEvents"`, `"messageType"`, `"logGroup"`, `"logStream"`, `"logStreamName"`, `"message"`, `"timestamp"`, `"ingestionTime"`} {
			if bytes.Contains(trimmed[:min(len(trimmed), 200)], []byte(k)) {
				return KindCloudWatchJSON
			}
		}
		return KindNone
	}
	line := trimmed
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	} else if len(head) >= 512 {
		return KindNone // no line end in the first 512 bytes
	}
	line = trimEOL(line)
	if len(line) == 0 {
		return KindNone
	}
	if _, ok := headerFormat(line); ok {
		return KindText
	}
	kind := KindText
	if _, rest, ok := cutTimestamp(line); ok {
		line, kind = rest, KindCloudWatchText
	}
	def, _ := ParseFormat(DefaultFormat)
	var r Record
	if newLineParser(def, newInterner()).parse(line, &r) == nil && r.Version >= 2 {
		return kind
	}
	return KindNone
}

// Detect reports whether path holds flow logs: a file whose (gunzipped)
// content Sniff recognises, or a directory holding at least one such file
// (searched recursively, stopping at the first). Errors are returned only
// when path itself cannot be read.
func Detect(path string) (bool, error) {
	st, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		k, err := sniffFile(path)
		return k != KindNone, err
	}
	found := false
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil || found {
			return nil
		}
		if d.Type().IsRegular() && flowLogExt(d.Name()) {
			if k, _ := sniffFile(p); k != KindNone {
				found = true
				return fs.SkipAll
			}
		}
		return nil
	})
	return found, err
}

// sniffFile sniffs the first 512 bytes of a file, gunzipped if needed.
func sniffFile(path string) (Kind, error) {
	f, err := os.Open(path)
	if err != nil {
		return KindNone, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	magic, _ := br.Peek(4)
	var rd io.Reader = br
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return KindNone, nil
		}
		rd = zr
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(rd, head)
	return Sniff(head[:n]), nil
}
