package main

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/nacl/sqlgen"
)

// runSQL prints the flow-log queries of nacl/sqlgen.
func runSQL(env *runEnv, args []string) int {
	const cmd = "sql"
	fs := newFlagSet(env, cmd, "--nacl FILE (--subnets FILE | --subnet CIDR...) [--interfaces FILE] [--dialect athena|trino|spark|duckdb] [flags]")
	rf := addReplayFlags(fs)
	var naclPath, dialect, table, where, ifacesPath, query string
	var version, top int
	fs.StringVar(&naclPath, "nacl", "", "NACL file (describe-network-acls JSON, Terraform, CloudFormation, native text); required")
	fs.StringVar(&dialect, "dialect", "athena", "SQL dialect: athena, trino, spark or duckdb")
	fs.StringVar(&table, "table", "vpc_flow_logs", "flow-log table (AWS's Athena column names and types)")
	fs.StringVar(&where, "where", "", "filter on the table, e.g. partition columns: \"day >= '2024/05/01'\"")
	fs.StringVar(&ifacesPath, "interfaces", "", "'aws ec2 describe-network-interfaces' JSON: places interfaces whose records lack subnet-id")
	fs.StringVar(&query, "query", "both", "which query: records (verdict per record), hits (per-rule hits and top rejected conversations) or both")
	fs.IntVar(&version, "table-version", 5, "highest flow-log field version the table has columns for (2-5; 2: no subnet_id, pkt_*, flow_direction)")
	fs.IntVar(&top, "top", 20, "rejected conversations listed by the hits query")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if fs.NArg() > 0 {
		return fail(env, cmd, fmt.Errorf("unexpected arguments %q: sql reads no flow logs, it prints queries", fs.Args()))
	}
	if naclPath == "" {
		return fail(env, cmd, errors.New("--nacl FILE is required"))
	}
	if len(rf.subnets) == 0 && rf.subnetsFile == "" {
		return fail(env, cmd, errors.New("give --subnets FILE (describe-subnets) or --subnet CIDR"))
	}
	if query != "records" && query != "hits" && query != "both" {
		return fail(env, cmd, fmt.Errorf("unknown --query %q (want records, hits or both)", query))
	}
	d, err := sqlgen.ParseDialect(dialect)
	if err != nil {
		return fail(env, cmd, err)
	}
	file, err := readNACL(env, cmd, naclPath, rf.naclFormat, &rf.naclIn, false)
	if err != nil {
		return fail(env, cmd, err)
	}
	topo, pl, err := rf.topology(file, rf.acl, nil)
	if err != nil {
		return fail(env, cmd, err)
	}
	printPlacement(env, cmd, "", pl, nil)
	judge, err := replay.NewJudge(topo)
	if err != nil {
		return fail(env, cmd, err)
	}
	var ifaces []replay.InterfaceInfo
	if ifacesPath != "" {
		if ifaces, err = replay.ReadInterfaces(ifacesPath); err != nil {
			return fail(env, cmd, err)
		}
	}
	o := sqlgen.Options{Dialect: d, Table: table, Where: where, Version: version, Interfaces: ifaces, Top: top}
	w := bufio.NewWriter(env.stdout)
	if query != "hits" {
		q, err := sqlgen.Records(judge, o)
		if err != nil {
			return fail(env, cmd, err)
		}
		fmt.Fprintf(w, "%s;\n", q)
	}
	if query == "both" {
		fmt.Fprintln(w)
	}
	if query != "records" {
		q, err := sqlgen.Hits(judge, o)
		if err != nil {
			return fail(env, cmd, err)
		}
		fmt.Fprintf(w, "%s;\n", q)
	}
	if err := w.Flush(); err != nil {
		return fail(env, cmd, err)
	}
	return exitOK
}
