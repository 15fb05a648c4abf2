package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// inputBufSize is the buffer between the file (or gzip stream) and the
// record readers.
const inputBufSize = 64 << 10

// openPath opens a file for reading ("-" is standard input).
func openPath(path string) (io.ReadCloser, error) {
	if path == "-" {
		return nopCloser{os.Stdin}, nil
	}
	return os.Open(path)
}

// nopCloser is io.NopCloser with a visible Reader (isPrompt looks at it).
type nopCloser struct{ io.Reader }

// Close does nothing: standard input stays open.
func (nopCloser) Close() error { return nil }

// openReader recognises the capture format of r (after transparent
// gunzip) and returns its record reader, filling info's Format, Gzip,
// Nanosecond and LinkTypes. readAhead starts a read-ahead goroutine for
// classic pcap and pcapng; prompt (a pipe) makes it deliver what has
// arrived instead of whole chunks. warn receives non-fatal problems (unsupported link types).
func openReader(r io.Reader, info *FileInfo, readAhead, prompt bool, warn func(*fileProblem)) (recordReader, error) {
	br := bufio.NewReaderSize(r, inputBufSize)
	head, err := br.Peek(2)
	if err != nil && len(head) == 0 {
		if err == io.EOF {
			return nil, &fileProblem{offset: 0, reason: "empty file: not a capture"}
		}
		return nil, &fileProblem{offset: 0, reason: "read error: " + err.Error()}
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, &fileProblem{offset: 0, reason: "corrupt gzip header: " + err.Error()}
		}
		zr.Multistream(true)
		info.Gzip = true
		br = bufio.NewReaderSize(zr, inputBufSize)
	}
	head, err = br.Peek(24)
	if len(head) < 4 {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, &fileProblem{offset: 0, reason: "read error: " + err.Error()}
		}
		return nil, &fileProblem{offset: 0, reason: "not a capture file: too short"}
	}
	switch binary.LittleEndian.Uint32(head[0:4]) {
	case magicMicro, magicNano, magicMicroBE, magicNanoBE, magicKuznetzov, magicKuznetzovBE:
		if len(head) < 24 {
			return nil, &fileProblem{offset: int64(len(head)), reason: "pcap file header truncated"}
		}
		pr, err := newPcapReader(br, head)
		if err != nil {
			return nil, err
		}
		pr.warn = warn
		if _, err := br.Discard(24); err != nil {
			return nil, &fileProblem{offset: 0, reason: "read error: " + err.Error()}
		}
		if readAhead {
			pr.prefetch(prompt)
		}
		if !SupportedLinkType(pr.link) {
			warn(unsupportedLink(pr.link, 20))
		}
		info.Format = "pcap"
		info.Nanosecond = pr.nano
		info.LinkTypes = []uint16{pr.link}
		return pr, nil
	case ngSHB:
		ng, err := newNgReader(br, info, warn)
		if err != nil {
			return nil, err
		}
		if readAhead {
			ng.prefetch(prompt)
		}
		info.Format = "pcapng"
		return ng, nil
	}
	return nil, &fileProblem{offset: 0, reason: "not a capture file (neither pcap nor pcapng magic)"}
}

// unsupportedLink is the warning for a link type the decoder does not know.
func unsupportedLink(lt uint16, offset int64) *fileProblem {
	name := ""
	if n := LinkTypeName(lt); n != "" {
		name = " (" + n + ")"
	}
	return &fileProblem{offset: offset, reason: fmt.Sprintf("unsupported link type %d%s: its records are counted as undecodable", lt, name)}
}
