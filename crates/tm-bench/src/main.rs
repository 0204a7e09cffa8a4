//! `tm-bench`: measure a WebSocket fan-out server (tm-gateway or a reference peer). The command
//! line lives in [`tm_bench::cli`]; see docs/benchmarks.md.

fn main() -> std::process::ExitCode {
    tm_bench::cli::main()
}
