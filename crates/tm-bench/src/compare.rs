//! `tm-bench compare`: reads JSON lines, keeps one run, takes the median of each metric over the
//! repetitions per target, and renders a Markdown table with ratios against a baseline target
//! (e.g. `uws`). Ratios are `target / baseline`; whether higher is better depends on the metric
//! ([`higher_is_better`]). Optionally flags gross regressions (worse than the baseline by more
//! than a factor) without failing, or fails on them with `enforce`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::Context as _;

use crate::limits::{check_limits, Limit};
use crate::output::Record;

/// Median of `xs` (mean of the middle two for an even count); `None` when empty.
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// `value / baseline`; 1 when both are 0, `None` when only the baseline is 0.
pub fn ratio(value: f64, baseline: f64) -> Option<f64> {
    if baseline == 0.0 {
        return (value == 0.0).then_some(1.0);
    }
    Some(value / baseline)
}

/// Whether a larger value of `metric` is better (throughputs, delivered fraction).
pub fn higher_is_better(metric: &str) -> bool {
    metric.ends_with("_per_s") || metric.ends_with("delivered_ratio") || metric == "conns_ok"
}

/// How much worse `r = target/baseline` is, as a factor ≥ 1 meaning "this many times worse".
pub fn worse_by(metric: &str, r: f64) -> f64 {
    if higher_is_better(metric) {
        if r <= 0.0 {
            f64::INFINITY
        } else {
            1.0 / r
        }
    } else {
        r
    }
}

/// Metrics left out of the table unless asked for (detail that the headline figures cover).
fn is_detail(metric: &str) -> bool {
    ["_p90_us", "_mean_us", "_count", "_p999_us", "_max_lag_us", "_late"]
        .iter()
        .any(|s| metric.ends_with(s))
}

/// The figures the issue sets targets for: shown first, and the only ones flagged.
pub fn is_key(metric: &str) -> bool {
    [
        "bytes_per_conn",
        "all_p50_us",
        "all_p99_us",
        "last_p99_us",
        "cpu_us_per_delivery",
        "delivered_ratio",
        "deliveries_per_s",
        "knee_deliveries_per_s",
        "max_deliveries_per_s",
        "conns_per_s",
        "handshake_p99_us",
        "rss_growth_per_churned_conn_bytes",
        "rss_slope_bytes_per_s",
        // S7 (end to end through tm-cms), S8 (tm-cms alone) and the RabbitMQ baseline.
        "post_p50_us",
        "post_p99_us",
        "posts_failed",
        "sustained_posts_per_s",
        "requests_per_s",
        "req_p99_us",
        "msgs_per_s",
    ]
    .contains(&metric)
}

/// The value columns of a table: every target, the baseline first, then one ratio column for
/// each other target.
struct Columns<'a> {
    order: Vec<&'a String>,
    baseline: &'a str,
}

impl Columns<'_> {
    fn others(&self) -> impl Iterator<Item = &String> {
        self.order.iter().copied().filter(|t| *t != self.baseline)
    }

    fn header(&self, lead: &str, lead_sep: &str) -> String {
        let ratios = self.others().map(|t| format!("{t} ÷ {}", self.baseline));
        let names: Vec<String> = self.order.iter().map(ToString::to_string).chain(ratios).collect();
        let cells: String = names.iter().map(|n| format!(" {n} |")).collect();
        format!("{lead}{cells}\n{lead_sep}{}", "---:|".repeat(names.len()))
    }

    /// A row, and the ratio of each other target to the baseline.
    fn row(&self, lead: &str, metric: &str, by_t: &BTreeMap<String, f64>) -> (String, Vec<(String, f64)>) {
        let arrow = if higher_is_better(metric) { " ↑" } else { "" };
        let mut row = format!("{lead} {metric}{arrow} |");
        for t in &self.order {
            let value = by_t.get(*t).map_or_else(|| "–".into(), |v| fmt_num(*v));
            let _ = write!(row, " {value} |");
        }
        let mut ratios = Vec::new();
        for t in self.others() {
            match by_t.get(self.baseline).and_then(|b| ratio(*by_t.get(t)?, *b)) {
                Some(r) => {
                    let _ = write!(row, " {r:.2}× |");
                    ratios.push((t.clone(), r));
                }
                None => row.push_str(" – |"),
            }
        }
        (row, ratios)
    }
}

/// Options for [`render`] (and flags of `tm-bench compare`).
#[derive(Debug, Clone, clap::Args)]
pub struct CompareOpts {
    /// Target the ratios are taken against.
    #[arg(long, default_value = "uws")]
    pub baseline: String,
    /// Run id to compare (default: the run of the last record).
    #[arg(long)]
    pub run: Option<String>,
    /// Flag targets worse than the baseline by more than this factor.
    #[arg(long)]
    pub flag_factor: Option<f64>,
    /// Show every metric.
    #[arg(long)]
    pub all_metrics: bool,
    /// A hard limit, `[SCENARIO:]METRIC=FACTOR` (repeatable): exit non-zero when a target is
    /// worse than the baseline by more than FACTOR, or when the gate matches no measurement.
    #[arg(long = "gate")]
    pub gates: Vec<Gate>,
    /// A hard bound on one target's figure, `TARGET:SCENARIO:METRIC=BOUND` (repeatable): a
    /// ceiling, or a floor where higher is better; exit non-zero when a case is past it, or when
    /// the limit matches no measurement.
    #[arg(long = "limit")]
    pub limits: Vec<Limit>,
}

/// A limit on one metric's ratio to the baseline, in one scenario or in all of them:
/// `s1:bytes_per_conn=5` or `cpu_us_per_delivery=4`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// Scenario the gate applies to; every scenario when `None`.
    pub scenario: Option<String>,
    /// Metric name, as in the records.
    pub metric: String,
    /// How many times worse than the baseline is still accepted.
    pub factor: f64,
}

impl std::str::FromStr for Gate {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (name, factor) = spec
            .split_once('=')
            .ok_or_else(|| format!("expected [SCENARIO:]METRIC=FACTOR, got {spec:?}"))?;
        let factor: f64 = factor
            .parse()
            .ok()
            .filter(|f: &f64| f.is_finite() && *f >= 1.0)
            .ok_or_else(|| format!("the factor in {spec:?} must be a number ≥ 1"))?;
        let (scenario, metric) = match name.split_once(':') {
            Some((s, m)) => (Some(s.to_string()), m),
            None => (None, name),
        };
        if metric.is_empty() {
            return Err(format!("no metric in {spec:?}"));
        }
        let metric = metric.to_string();
        Ok(Gate {
            scenario,
            metric,
            factor,
        })
    }
}

impl std::fmt::Display for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scope = self.scenario.as_deref().map(|s| format!("{s}:")).unwrap_or_default();
        write!(f, "{scope}{}={}", self.metric, self.factor)
    }
}

/// The gate failures in `med`: one line per (scenario, case, target) worse than its gate, and
/// one per gate that matched nothing (a gate that checks nothing must not pass silently).
pub fn check_gates(med: &Medians, baseline: &str, gates: &[Gate]) -> Vec<String> {
    let mut failures = Vec::new();
    for gate in gates {
        let mut checked = 0;
        for ((sc, case, metric), by_t) in med {
            if *metric != gate.metric || gate.scenario.as_ref().is_some_and(|g| g != sc) {
                continue;
            }
            let Some(base) = by_t.get(baseline) else { continue };
            for (target, value) in by_t.iter().filter(|(t, _)| *t != baseline) {
                checked += 1;
                let worse = ratio(*value, *base).map_or(f64::INFINITY, |r| worse_by(metric, r));
                if worse > gate.factor {
                    failures.push(format!(
                        "{sc} {case} {metric}: {target} is {worse:.2}× worse than {baseline} (gate {}×)",
                        gate.factor
                    ));
                }
            }
        }
        if checked == 0 {
            failures.push(format!(
                "gate {gate} matched no measured pair of {baseline} and another target"
            ));
        }
    }
    failures
}

/// The rendered report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub markdown: String,
    /// Gross regressions found, one line each.
    pub flags: Vec<String>,
    /// Gates and limits that failed, one line each (empty when every one held).
    pub gate_failures: Vec<String>,
}

type Key = (String, String, String);

/// Medians over the repetitions: (scenario, case, metric) → target → median.
pub type Medians = BTreeMap<Key, BTreeMap<String, f64>>;

/// Groups `records` of one run and takes medians over repetitions.
pub fn medians(records: &[Record], run: &str) -> Medians {
    let mut raw: BTreeMap<Key, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.run == run) {
        for (m, v) in &r.metrics {
            let key = (r.scenario.clone(), r.case.clone(), m.clone());
            raw.entry(key)
                .or_default()
                .entry(r.target.clone())
                .or_default()
                .push(*v);
        }
    }
    let medians = |by_t: BTreeMap<String, Vec<f64>>| by_t.into_iter().filter_map(|(t, xs)| Some((t, median(&xs)?)));
    raw.into_iter().map(|(k, by_t)| (k, medians(by_t).collect())).collect()
}

/// A sort key that orders digit runs by value: `conns=5000` before `conns=10000`.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Seg {
    Num(u64),
    Text(String),
}

fn natural(s: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for c in s.chars() {
        match (out.last_mut(), c.to_digit(10).map(u64::from)) {
            (Some(Seg::Num(n)), Some(d)) => *n = n.saturating_mul(10).saturating_add(d),
            (Some(Seg::Text(t)), None) => t.push(c),
            (_, Some(d)) => out.push(Seg::Num(d)),
            (_, None) => out.push(Seg::Text(c.to_string())),
        }
    }
    out
}

/// The rows of `med` with cases in natural order.
fn sorted(med: &Medians) -> Vec<(&Key, &BTreeMap<String, f64>)> {
    let mut rows: Vec<_> = med.iter().collect();
    rows.sort_by_cached_key(|((sc, case, metric), _)| (sc, natural(case), metric));
    rows
}

fn fmt_num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() >= 1000.0 || x.fract() == 0.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// Renders the comparison of the chosen run.
pub fn render(records: &[Record], opts: &CompareOpts) -> anyhow::Result<Report> {
    let run = match &opts.run {
        Some(r) => r.clone(),
        None => records.last().map(|r| r.run.clone()).context("no records")?,
    };
    let med = medians(records, &run);
    let in_run: Vec<&Record> = records.iter().filter(|r| r.run == run).collect();
    let targets: BTreeSet<&String> = in_run.iter().map(|r| &r.target).collect();
    let mut order: Vec<&String> = targets.into_iter().collect();
    // The baseline first (a stable sort keeps the others in name order).
    order.sort_by_key(|t| **t != opts.baseline);
    let reps = in_run.iter().map(|r| r.rep).max().unwrap_or(0);
    let baseline = &opts.baseline;
    let cols = Columns { order, baseline };
    let mut md = format!("# tm-bench comparison — run `{run}`\n\n");
    writeln!(
        md,
        "Medians over up to {reps} repetition(s) per target; ratios are target ÷ `{baseline}` \
         (↑ = higher is better, otherwise lower is better).\n"
    )?;
    // Headline: the figures with targets, across scenarios; only these are flagged.
    writeln!(md, "## Headline\n")?;
    writeln!(md, "{}", cols.header("| scenario | case | metric |", "|---|---|---|"))?;
    let mut report = Report::default();
    for ((sc, case, metric), by_t) in sorted(&med).into_iter().filter(|(k, _)| is_key(&k.2)) {
        let (row, ratios) = cols.row(&format!("| {sc} | {case} |"), metric, by_t);
        writeln!(md, "{row}")?;
        let Some(f) = opts.flag_factor else { continue };
        for (t, w) in ratios.into_iter().map(|(t, r)| (t, worse_by(metric, r))) {
            if w > f {
                let flag = format!("{sc} {case} {metric}: {t} is {w:.1}× worse than {baseline} (limit {f}×)");
                report.flags.push(flag);
            }
        }
    }
    let mut scenario = "";
    for ((sc, case, metric), by_t) in sorted(&med) {
        if !opts.all_metrics && is_detail(metric) {
            continue;
        }
        if sc != scenario {
            scenario = sc;
            writeln!(md, "\n## {sc}\n")?;
            writeln!(md, "{}", cols.header("| case | metric |", "|---|---|"))?;
        }
        writeln!(md, "{}", cols.row(&format!("| {case} |"), metric, by_t).0)?;
    }
    if !report.flags.is_empty() {
        writeln!(md, "\n## Flagged (gross regressions, not enforced)\n")?;
        for f in &report.flags {
            writeln!(md, "- {f}")?;
        }
    }
    report.gate_failures = check_gates(&med, baseline, &opts.gates);
    if !opts.gates.is_empty() {
        writeln!(md, "\n## Gates\n")?;
        for gate in &opts.gates {
            let scope = gate.scenario.as_deref().unwrap_or("every scenario");
            writeln!(
                md,
                "- {scope}: `{}` at most {}× worse than {baseline}",
                gate.metric, gate.factor
            )?;
        }
        writeln!(md)?;
        if report.gate_failures.is_empty() {
            writeln!(md, "All gates held.")?;
        }
        for f in &report.gate_failures {
            writeln!(md, "- **FAILED** {f}")?;
        }
    }
    let limit_failures = check_limits(&med, &opts.limits);
    if !opts.limits.is_empty() {
        writeln!(md, "\n## Limits\n")?;
        for limit in &opts.limits {
            writeln!(md, "- {limit}")?;
        }
        writeln!(md)?;
        if limit_failures.is_empty() {
            writeln!(md, "All limits held.")?;
        }
        for f in &limit_failures {
            writeln!(md, "- **FAILED** {f}")?;
        }
    }
    report.gate_failures.extend(limit_failures);
    report.markdown = md;
    Ok(report)
}

/// Parses JSON lines, skipping (and counting) lines that are not records.
pub fn parse_lines(text: &str) -> (Vec<Record>, usize) {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let recs: Vec<Record> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let bad = lines.len() - recs.len();
    (recs, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(run: &str, target: &str, rep: u32, metrics: &[(&str, f64)]) -> Record {
        Record {
            v: 1,
            run: run.into(),
            scenario: "s2".into(),
            case: "subs=1000,rate=1".into(),
            target: target.into(),
            kind: "peer".into(),
            rep,
            ts_ms: 0,
            metrics: metrics.iter().map(|(k, v)| ((*k).to_string(), *v)).collect(),
            info: BTreeMap::new(),
        }
    }

    fn opts(run: Option<&str>) -> CompareOpts {
        CompareOpts {
            baseline: "uws".into(),
            run: run.map(Into::into),
            flag_factor: Some(10.0),
            all_metrics: false,
            gates: Vec::new(),
            limits: Vec::new(),
        }
    }

    fn assert_has(markdown: &str, row: &str) {
        assert!(markdown.contains(row), "{row:?} is not in\n{markdown}");
    }

    #[test]
    fn median_odd_even_empty_nan() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 5.0]), Some(5.0));
    }

    #[test]
    fn gates_parse_and_refuse_nonsense() {
        let g: Gate = "s1:bytes_per_conn=5".parse().unwrap();
        assert_eq!(g.scenario.as_deref(), Some("s1"));
        assert_eq!((g.metric.as_str(), g.factor), ("bytes_per_conn", 5.0));
        let g: Gate = "cpu_us_per_delivery=4".parse().unwrap();
        assert_eq!(g.scenario, None);
        for bad in ["bytes_per_conn", "s1:bytes_per_conn=0.5", "s1:=3"] {
            assert!(bad.parse::<Gate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_gate_fails_a_target_worse_than_its_factor_and_one_that_matches_nothing() {
        let mut med = Medians::new();
        for (sc, case, metric, uws, gw) in [
            ("s1", "slope", "bytes_per_conn", 1000.0, 3000.0),
            ("s2", "subs=2000,rate=1", "delivered_ratio", 1.0, 0.5),
            ("s3", "rate=1600", "delivered_ratio", 1.0, 0.5),
        ] {
            let by_t = [("uws".to_string(), uws), ("gw".to_string(), gw)];
            med.insert((sc.into(), case.into(), metric.into()), by_t.into());
        }
        let gates: Vec<Gate> = ["s1:bytes_per_conn=5", "s2:delivered_ratio=1.1", "s9:anything=2"]
            .iter()
            .map(|g| g.parse().unwrap())
            .collect();
        let failures = check_gates(&med, "uws", &gates);
        assert_eq!(failures.len(), 2, "{failures:?}");
        assert!(failures[0].starts_with("s2 subs=2000,rate=1 delivered_ratio: gw is 2.00×"));
        assert!(failures[1].contains("s9:anything=2 matched no measured pair"));
        assert!(
            check_gates(&med, "uws", &gates[..1]).is_empty(),
            "3× is within a 5× gate"
        );
    }

    #[test]
    fn ratio_and_direction() {
        assert_eq!(ratio(300.0, 100.0), Some(3.0));
        assert_eq!(ratio(0.0, 0.0), Some(1.0));
        assert_eq!(ratio(1.0, 0.0), None);
        // Latency 3× the baseline is 3× worse; throughput at a third is 3× worse too.
        assert_eq!(worse_by("all_p99_us", 3.0), 3.0);
        assert!((worse_by("deliveries_per_s", 1.0 / 3.0) - 3.0).abs() < 1e-9);
        assert_eq!(worse_by("deliveries_per_s", 0.0), f64::INFINITY);
        assert!(higher_is_better("knee_deliveries_per_s"));
        assert!(!higher_is_better("cpu_us_per_delivery"));
    }

    #[test]
    fn medians_over_reps_and_table() {
        let mut recs = vec![rec("old", "uws", 1, &[("all_p99_us", 1.0)])];
        for (target, rep, p99, max) in [
            ("uws", 1, 100.0, 1000.0),
            ("uws", 2, 300.0, 1000.0),
            ("uws", 3, 200.0, 1000.0),
            ("node-ws", 1, 900.0, 50.0),
            ("node-ws", 2, 500.0, 70.0),
        ] {
            recs.push(rec(
                "r1",
                target,
                rep,
                &[("all_p99_us", p99), ("max_deliveries_per_s", max)],
            ));
        }
        let m = medians(&recs, "r1");
        let k = ("s2".into(), "subs=1000,rate=1".into(), "all_p99_us".into());
        assert_eq!(m[&k]["uws"], 200.0);
        assert_eq!(m[&k]["node-ws"], 700.0);
        let rep = render(&recs, &opts(None)).unwrap();
        assert_has(&rep.markdown, "| case | metric | uws | node-ws | node-ws ÷ uws |");
        assert_has(&rep.markdown, "| subs=1000,rate=1 | all_p99_us | 200 | 700 | 3.50× |");
        assert_has(&rep.markdown, "| max_deliveries_per_s ↑ | 1000 | 60 | 0.06× |");
        // 3.5× slower is under the 10× flag; 1/0.06 ≈ 16.7× less throughput is over it.
        assert_eq!(rep.flags.len(), 1, "{:?}", rep.flags);
        assert!(rep.flags[0].contains("max_deliveries_per_s"));
        // The headline row.
        assert_has(
            &rep.markdown,
            "| s2 | subs=1000,rate=1 | all_p99_us | 200 | 700 | 3.50× |",
        );
        assert!(!rep.markdown.contains("| 1 |"), "old run left out");
    }

    #[test]
    fn scenarios_only_one_target_has_render_without_ratios() {
        // S7/S8 and the broker baseline exist for tm-gateway, tm-cms and rabbitmq alone, with
        // no uws record in the run at all: no ratio, no flag, no crash.
        let recs: Vec<Record> = [
            (
                "s7",
                "rooms=10,per_room=10,rate=50",
                "tm-gateway",
                &[("all_p99_us", 9000.0), ("delivered_ratio", 1.0)][..],
            ),
            (
                "s8",
                "page,conns=16",
                "tm-cms",
                &[("requests_per_s", 800.0), ("req_p99_us", 40_000.0)],
            ),
            ("amqp-baseline", "window=64", "rabbitmq", &[("msgs_per_s", 5000.0)]),
        ]
        .into_iter()
        .map(|(scenario, case, target, metrics)| Record {
            scenario: scenario.into(),
            case: case.into(),
            ..rec("e2e", target, 1, metrics)
        })
        .collect();
        let rep = render(&recs, &opts(Some("e2e"))).unwrap();
        assert!(rep.flags.is_empty(), "{:?}", rep.flags);
        let md = &rep.markdown;
        assert_has(
            md,
            "| s7 | rooms=10,per_room=10,rate=50 | all_p99_us | – | – | 9000 | – | – |",
        );
        assert_has(md, "| s8 | page,conns=16 | requests_per_s ↑ | – | 800 | – |");
        assert_has(md, "| amqp-baseline | window=64 | msgs_per_s ↑ | 5000 |");

        // A limit fails the report like a gate, and is listed with its outcome.
        let limited = CompareOpts {
            limits: vec!["tm-cms:s8:requests_per_s=1000".parse().unwrap()],
            ..opts(Some("e2e"))
        };
        let rep = render(&recs, &limited).unwrap();
        assert_eq!(rep.gate_failures.len(), 1, "{:?}", rep.gate_failures);
        assert_has(&rep.markdown, "- tm-cms in s8: `requests_per_s` at least 1000");
        assert_has(
            &rep.markdown,
            "- **FAILED** s8 page,conns=16 requests_per_s: tm-cms measured 800.00",
        );
    }

    #[test]
    fn cases_sort_naturally() {
        let mut v = vec!["conns=10000", "conns=5000", "slope", "conns=1000"];
        v.sort_by_key(|s| natural(s));
        assert_eq!(v, ["conns=1000", "conns=5000", "conns=10000", "slope"]);
    }

    #[test]
    fn parse_skips_junk() {
        let r = serde_json::to_string(&rec("r", "uws", 1, &[("x", 1.0)])).unwrap();
        let (recs, bad) = parse_lines(&format!("{r}\nnot json\n\n{r}\n"));
        assert_eq!((recs.len(), bad), (2, 1));
    }
}
