package aclfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	tfResource  = regexp.MustCompile(`(?m)^\s*(resource|data|module|variable|provider|locals)\s+("|\{|[A-Za-z_])`)
	cfnYAMLKeys = regexp.MustCompile(`(?m)^(AWSTemplateFormatVersion|Resources)\s*:`)
)

// sniffBinary names what data looks like when it is obviously not a NACL
// file (a packet capture, compressed or binary data), else returns "".
func sniffBinary(data []byte) string {
	if len(data) >= 4 {
		switch m := binary.BigEndian.Uint32(data); m {
		case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0xa1b2cd34, 0x34cdb2a1:
			return "a packet capture (pcap)"
		case 0x0a0d0d0a:
			return "a packet capture (pcapng)"
		case 0x7f454c46:
			return "an executable (ELF)"
		case 0x504b0304:
			return "a zip archive"
		}
	}
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return "gzip-compressed data (decompress it first)"
	}
	head := data[:min(len(data), 8192)]
	if bytes.IndexByte(head, 0) >= 0 {
		return "binary data"
	}
	if !utf8.Valid(head) {
		// A cut in the middle of a character at the end of head is fine.
		if cut := head[:max(0, len(head)-3)]; len(head) < 8192 || !utf8.Valid(cut) {
			bad := 0
			for i := 0; i < len(head); {
				r, n := utf8.DecodeRune(head[i:])
				if r == utf8.RuneError && n == 1 {
					bad++
				}
				i += n
			}
			if bad*20 > len(head) {
				return "binary data"
			}
		}
	}
	return ""
}

// Detect guesses the format of a NACL file from its name and content:
//   - JSON with "NetworkAcls", "NetworkAcl", "Entries" or "NetworkAclId"
//     (or an array of such objects): aws-json;
//   - JSON with "format_version" and "values" or "planned_values": terraform-json;
//   - JSON or YAML with "Resources" or "AWSTemplateFormatVersion": cloudformation;
//   - a .tf file, or HCL resource blocks: terraform;
//   - anything else: text.
func Detect(name string, data []byte) Format {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".tf" || strings.HasSuffix(strings.ToLower(name), ".tf.json") {
		return FormatTerraform
	}
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if f, ok := detectJSON(trimmed); ok {
			return f
		}
		if ext == ".json" || trimmed[0] == '[' || json.Valid(trimmed) {
			return FormatAWSJSON // let its parser explain what is missing
		}
	}
	if cfnYAMLKeys.Match(data) {
		return FormatCloudFormation
	}
	if ext == ".yaml" || ext == ".yml" || ext == ".template" {
		return FormatCloudFormation
	}
	if tfResource.Match(data) {
		return FormatTerraform
	}
	if ext == ".json" {
		return FormatAWSJSON
	}
	return FormatText
}

// detectJSON looks at the top-level keys of a JSON document.
func detectJSON(data []byte) (Format, bool) {
	if data[0] == '[' {
		return FormatAWSJSON, true
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return "", false
	}
	has := func(k string) bool {
		for key := range top {
			if strings.EqualFold(key, k) {
				return true
			}
		}
		return false
	}
	switch {
	case has("NetworkAcls"), has("NetworkAcl"), has("Entries"), has("NetworkAclId"):
		return FormatAWSJSON, true
	case has("format_version") && (has("values") || has("planned_values") || has("prior_state")):
		return FormatTerraformJSON, true
	case has("Resources"), has("AWSTemplateFormatVersion"):
		return FormatCloudFormation, true
	case has("resource"), has("module"), has("variable"), has("locals"), has("data"):
		// Terraform configuration in JSON syntax (.tf.json).
		return FormatTerraform, true
	}
	return "", false
}
