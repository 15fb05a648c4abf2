// Package render holds every byte flowverify prints: the documents of the
// flows, check, diff, lint, explain and synth commands in text, JSON,
// JSONL and CSV, and the sentences that explain them. The packages below
// it (capture, flows, nacl, nacl/replay, nacl/synth) return data only;
// cmd/flowverify wires flags to them and hands their results to render.
//
// One function answers each question of presentation:
//
//   - how a time prints: AppendTime (RFC 3339 UTC, micro- or nanoseconds;
//     time.go), FormatTime, Options.FormatTime; FormatTimeSeconds for
//     synth's observation window
//   - how an endpoint prints: AppendEndpoint ("198.51.100.20:80",
//     "[2001:db8::1]:443", the address alone without ports; endpoint.go)
//   - how a table prints: streamTable (table.go), for every aligned table
//   - how a NACL rule line prints: text.Rule in nacl/formats/text; how a
//     rule is described in a sentence: DescribeEntry (sentences.go)
//   - how a replay denial reads: Sentences, CheckPhrase (sentences.go)
//   - how the advice of check and synth reads: check_notes.go,
//     synth_notes.go (the domain returns kinds and values, never text)
//   - how JSON and CSV are written: WriteJSON, jsonLines, writeCSV
//     (encode.go); the hand-made fast encoders of the hot paths (flows
//     conversations, --packets lines) print byte for byte what
//     encoding/json would, which their tests check against the slow
//     references kept in the _test.go files
//
// Files by command (add a command's new output to its file):
//
//	flows.go, flows_json.go   flowverify flows (text table, summary, JSON document, JSONL, CSV)
//	check.go                  flowverify check: format dispatch, --packets streaming
//	check_text.go             check text report and its conversation table (CheckTable)
//	check_csv.go              check CSV (one row per conversation)
//	check_json.go             check JSON document and the JSON types shared with diff (CheckJSON, LegJSON, ...)
//	packets.go                --packets lines (JSONL, CSV, text) and the compact checks "in#130"
//	diff.go                   flowverify diff (text, JSON, CSV)
//	lint.go                   flowverify lint (text, JSON)
//	sarif.go                  --format sarif of lint, check and diff (SARIF 2.1.0, results on the rule lines)
//	explain.go                flowverify explain (text, JSON)
//	synth.go, synth_json.go   flowverify synth report (text, JSON) and the cli placeholder
//	synth_intent*.go          synth's peer decisions, rules-vs-over-permission curve and unseen-data replays (text, JSON)
//	sentences.go              sentences of check and diff ("responses from ... are denied inbound by rule 130 ...")
//	check_notes.go            check's other sentences: the inferred-resolver headline, exemption notes, fix advice,
//	                          change-set merges and problems, the proof's lint findings and problems
//	synth_notes.go            synth's sentences: warnings and notes (synth.Message), peer decisions' reasons,
//	                          the self-check and unseen-data summaries, denied replies outside a forced range
//	flowlogs.go, flowlog_diff.go  check and diff over VPC Flow Logs (text, JSON, JSONL, CSV, --records lines)
//	placement.go              what placing the ACLs had to say (replay.Placement): left-out subnets, the
//	                          detected capture host, a missing VPC CIDR
//	cli.go                    usage, command help, the man page and the bash/zsh/fish completion scripts
//	                          (from CommandDoc values cmd/flowverify describes its commands with)
//
// Speed matters on three paths, measured by bench/bench.sh: the flows JSON
// encoder (appendConvJSON), the check conversation table (CheckTable,
// measured while replay.SummarizeEach judges, so the table prints in one
// pass) and the --packets lines (PacketWriter). They allocate nothing per
// conversation or packet; keep it so.
package render
