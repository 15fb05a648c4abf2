package main

import "github.com/flowverify/flowverify/cmd/flowverify/render"

// sarifRun describes the run for a SARIF document: the version and the
// problems met reading the captures (reportProblems prints them too).
func (in *replayInput) sarifRun() render.SARIFRun {
	run := render.SARIFRun{Version: versionString()}
	if in.stream == nil {
		return run
	}
	for _, p := range in.stream.Problems() {
		if p.Fatal {
			run.Errors = append(run.Errors, p.Error())
			run.Incomplete = true
		} else {
			run.Warnings = append(run.Warnings, p.Error())
		}
	}
	run.Incomplete = run.Incomplete || !in.stream.Complete()
	return run
}
