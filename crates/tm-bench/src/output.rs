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
    /// Scenario id (`s1` … `s8`, `amqp-baseline`).
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

/// `--run-id` and `--rep`: which run and repetition the records of this process belong to.
#[derive(Debug, Clone, clap::Args)]
pub struct RunOpts {
    /// Run id shared by every target and repetition measured together.
    #[arg(long, default_value = "adhoc")]
    pub run_id: String,
    /// Repetition number.
    #[arg(long, default_value_t = 1)]
    pub rep: u32,
}

impl RunOpts {
    /// Prints the record of `case` of `scenario` against `target` (of `kind`) as one JSON line on
    /// stdout, flushed so that a crash later loses nothing. `info` is a JSON object.
    pub fn emit(
        &self,
        target: &str,
        kind: &str,
        scenario: &str,
        case: &str,
        metrics: BTreeMap<String, f64>,
        info: serde_json::Value,
    ) -> anyhow::Result<()> {
        let serde_json::Value::Object(info) = info else {
            anyhow::bail!("record info must be a JSON object, not {info}");
        };
        let r = Record {
            v: VERSION,
            run: self.run_id.clone(),
            scenario: scenario.into(),
            case: case.into(),
            target: target.into(),
            kind: kind.into(),
            rep: self.rep,
            ts_ms: crate::wall_ns() / 1_000_000,
            metrics,
            info: info.into_iter().collect(),
        };
        tracing::info!(scenario, case, target, "result");
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", serde_json::to_string(&r)?)?;
        out.flush()?;
        Ok(())
    }
}
