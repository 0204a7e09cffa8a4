//! Accessibility checks in the real browser: axe-core (from the npm registry, installed by
//! `make axe-core`, a prerequisite of `make browser`) injected into the page under test.
//!
//! [`violations`] runs every WCAG 2.0, 2.1 and 2.2 level A and AA rule of axe-core on the page
//! as it is now (after scripts ran, in the colour scheme the browser emulates); each
//! [`Violation`] displays as its rule and one line per element.

use std::fmt;
use std::path::PathBuf;

use anyhow::Context;
use fantoccini::Client;
use serde::Deserialize;

/// The axe-core rule tags for WCAG 2.2 level AA (which includes the 2.0 and 2.1 A/AA rules).
const WCAG_AA_TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/// Where `make axe-core` puts the script; `TM_AXE_CORE` (a path to axe.min.js) overrides.
fn axe_path() -> PathBuf {
    std::env::var_os("TM_AXE_CORE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/axe-core/node_modules/axe-core/axe.min.js")
    })
}

fn axe_source() -> anyhow::Result<String> {
    let path = axe_path();
    std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {}: run `make axe-core` (part of `make browser`)",
            path.display()
        )
    })
}

/// One rule axe-core found broken, with the elements that break it.
#[derive(Debug, Deserialize)]
pub struct Violation {
    pub id: String,
    pub impact: Option<String>,
    pub help: String,
    pub nodes: Vec<ViolatingNode>,
}

#[derive(Debug, Deserialize)]
pub struct ViolatingNode {
    /// CSS selectors that lead to the element (one per frame/shadow root level).
    pub target: Vec<serde_json::Value>,
    pub html: String,
    #[serde(rename = "failureSummary")]
    pub failure_summary: Option<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} ({}): {}",
            self.id,
            self.impact.as_deref().unwrap_or("?"),
            self.help
        )?;
        for node in &self.nodes {
            let target: Vec<String> = node.target.iter().map(|t| t.to_string()).collect();
            let summary = node.failure_summary.as_deref().unwrap_or("").replace('\n', " ");
            writeln!(f, "    at {}: {}\n       {}", target.join(" > "), node.html, summary)?;
        }
        Ok(())
    }
}

/// Runs axe-core's WCAG 2.2 A/AA rules on the current page and returns what it found.
pub async fn violations(client: &Client) -> anyhow::Result<Vec<Violation>> {
    run_axe(client, serde_json::json!({ "type": "tag", "values": WCAG_AA_TAGS })).await
}

/// Runs only axe-core's WCAG AAA contrast rule (7:1, 4.5:1 for large text) on the current page.
pub async fn enhanced_contrast_violations(client: &Client) -> anyhow::Result<Vec<Violation>> {
    run_axe(
        client,
        serde_json::json!({ "type": "rule", "values": ["color-contrast-enhanced"] }),
    )
    .await
}

/// Injects axe-core once per page and runs the rules `run_only` selects (axe's `runOnly`).
async fn run_axe(client: &Client, run_only: serde_json::Value) -> anyhow::Result<Vec<Violation>> {
    let loaded = client.execute("return typeof window.axe === 'object'", vec![]).await?;
    if loaded != serde_json::Value::Bool(true) {
        // Run as the body of a function: its `this`/`window` is the page's global object.
        client
            .execute(&axe_source()?, vec![])
            .await
            .context("injecting axe-core")?;
    }
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: arguments[0], resultTypes: ['violations'] })
                .then(r => done({ ok: r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) })) }))
                .catch(e => done({ error: String(e) }));",
            vec![run_only],
        )
        .await
        .context("running axe-core")?;
    if let Some(error) = result.get("error") {
        anyhow::bail!("axe.run failed: {error}");
    }
    Ok(serde_json::from_value(result["ok"].clone())?)
}
