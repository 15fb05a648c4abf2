// Package duckdbtest runs nacl/sqlgen's DuckDB dialect through DuckDB
// (github.com/duckdb/duckdb-go/v2, cgo) and compares it record by record
// with nacl/flowcheck. It is a separate module so that the main module's
// default build stays pure Go and free of DuckDB; .ci/run runs it.
package duckdbtest
