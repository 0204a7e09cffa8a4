//! Results as JSON lines on stdout: one [`Record`] per measured case. `compare` reads them back.

use std::collections::BTreeMap;
use std::io::Write as _;

/// Format version of [`Record`].
pub const VERSION: u32 = 1;

/// One measured case of one scenario against one target in one repetition.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    /// Format version.
    pub v: u32,
    /// Run id: all targets and repetitions measured together share it.
    pub run: String,
    /// Scenario id (`s1` … `s6`).
    pub scenario: String,
    /// Case within the scenario, e.g. `subs=2000,rate=20`.
    pub case: String,
    /// Target label (`uws`, `node-ws`, `tm-gateway`).
    pub target: String,
    /// Target kind (`peer`, `gateway`).
    pub kind: String,
    /// Repetition number, from 1.
    pub rep: u32,
    /// Wall-clock time of the record, ms since the Unix epoch.
    pub ts_ms: u64,
    /// Numeric results, by name (unit in the name: `_us`, `_bytes`, `_per_s`…).
    pub metrics: BTreeMap<String, f64>,
    /// Anything else worth keeping (flags, publisher, errors).
    #[serde(default)]
    pub info: BTreeMap<String, serde_json::Value>,
}

/// Prints `r` as one JSON line on stdout (flushed, so a crash later loses nothing).
pub fn emit(r: &Record) -> anyhow::Result<()> {
    let line = serde_json::to_string(r)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}
