//! Issue 19: the OpenAPI description is what tm-cms serves. schemathesis (a public API fuzzer)
//! reads `/api/v1/openapi.json` from a real tm-cms and sends what the description allows, and
//! much that it does not; every answer must be documented (status, schema, content type) and
//! none a 5xx. The CMS keeps its configured rate limits: the description documents 429 where a
//! limit can answer, so the fuzzer meets them like any client.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tm_e2e::system::{Options, System, Topology};

/// schemathesis's own budget for each of the two runs; it spends all of it (fuzzing and
/// stateful phases repeat until then).
const FUZZ_SECONDS: u64 = 30;
/// Past this a run is stuck, not slow: loading the description and shrinking a failure come
/// on top of the budget.
const HARD_LIMIT: Duration = Duration::from_secs(FUZZ_SECONDS + 60);
/// The CMS's `admin.api_token` in this test: a bearer that owns every room.
const ADMIN_TOKEN: &str = "openapi-fuzz-admin-token-0123456789abcdef";

/// The virtual environment `make schemathesis-venv` makes (pinned version, see the Makefile).
fn schemathesis() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/schemathesis-venv/bin/schemathesis");
    assert!(
        path.exists(),
        "{} is missing: run `make schemathesis-venv` (make test-rust does) to install the pinned schemathesis",
        path.display()
    );
    path
}

/// Runs schemathesis against the CMS, every request carrying `headers`; panics with its output
/// unless it passes.
async fn fuzz(schemathesis: &Path, system: &System, run_name: &str, headers: &[String]) {
    // Its working folder: schemathesis may leave files there (hypothesis' examples are kept
    // in memory, see below).
    let workdir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/tmp")
        .join(format!(
            "schemathesis-{}-{run_name}",
            system.prefix.trim_end_matches('.')
        ));
    std::fs::create_dir_all(&workdir).unwrap();
    let mut command = tokio::process::Command::new(schemathesis);
    command
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", system.cms_url(0)))
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
        ])
        .args(["--max-time", &FUZZ_SECONDS.to_string()])
        // One worker: with two, schemathesis's threads call `ast.parse` at once (hypothesis
        // describes filter lambdas from their source), and CPython 3.11 then fails with
        // "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905). It
        // crashed the full suite twice on 2026-12-05 and never alone. One worker avoids it;
        // --max-time still bounds the run.
        .args(["--workers", "1"])
        .args(["--request-timeout", "10"])
        // Nothing persists between runs: each run starts from its own (printed) seed.
        .args(["--generation-database", ":memory:"])
        .arg("--no-color");
    for header in headers {
        command.args(["--header", header]);
    }
    let run = command
        .current_dir(&workdir)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(HARD_LIMIT, run)
        .await
        .unwrap_or_else(|_| panic!("schemathesis ({run_name}) ran past {HARD_LIMIT:?}"))
        .expect("schemathesis starts");
    let _ = std::fs::remove_dir_all(&workdir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let summary = stdout.lines().rev().find(|line| line.contains(" in ")).unwrap_or("");
    println!("e2e openapi_fuzz {run_name}: {summary}");
    assert!(
        output.status.success(),
        "schemathesis ({run_name}) exited with {}; reproduce with the seed it printed:\n{stdout}\n{stderr}",
        output.status
    );
}

#[tokio::test]
async fn schemathesis_finds_every_answer_documented_and_no_server_error() {
    let schemathesis = schemathesis();
    let options = Options {
        configured_limits: true,
        admin_api_token: Some(ADMIN_TOKEN.to_owned()),
        ..Options::default()
    };
    let system = System::start_with(Topology::default(), options).await.unwrap();

    // As an anonymous client: public reads, posts, joins, room creation; the owner routes
    // answer 403.
    fuzz(&schemathesis, &system, "anonymous", &[]).await;
    // As the admin, who owns every room: the owner routes reach the engine (rooms the fuzzer
    // created, messages it posted).
    fuzz(
        &schemathesis,
        &system,
        "admin",
        &[format!("Authorization: Bearer {ADMIN_TOKEN}")],
    )
    .await;
    system.shutdown().await.unwrap();
}
