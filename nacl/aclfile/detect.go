package aclfile

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	tfResource  = regexp.MustCompile(`(?m)^\s*(resource|data|module|variable|provider|locals)\s+("|\{|[A-Za-z_])`)
	cfnYAMLKeys = regexp.MustCompile(`(?m)^(AWSTemplateFormatVersion|Resources)\s*:`)
)

// Detect guesses the format of a NACL file from its name and content:
//   - JSON with "NetworkAcls", "NetworkAcl", "Entries" or "NetworkAclId"
//     (or an array of such objects): aws-json;
//   - JSON with "format_version" and "values" or "planned_values": terraform-json;
//   - JSON or YAML with "Resources" or "AWSTemplateFormatVersion": cloudformation;
//   - a .tf file, or HCL resource blocks: terraform;
//   - anything else: text.
func Detect(name string, data []byte) Format {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".tf" {
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
	}
	return "", false
}
