//! Absolute limits on one target's figures, for what has no peer to be compared with (tm-cms)
//! or where the peer's figure is too noisy at smoke size to divide by (memory per socket with
//! 2,000 sockets): `tm-cms:s8/page:cms_cpu_us_per_request=1500` (the cases of S8 whose name
//! starts with `page`) or `tm-gateway:s7:delivered_ratio=1` (every case of S7). Whether the bound is a ceiling or a floor follows the
//! metric's direction ([`higher_is_better`]).

use crate::compare::{higher_is_better, Medians};

/// A bound on one target's metric in one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    pub target: String,
    pub scenario: String,
    /// Only the cases whose name starts with this (every case when empty).
    pub case_prefix: String,
    pub metric: String,
    /// A ceiling, or a floor for metrics where higher is better.
    pub bound: f64,
}

impl Limit {
    fn is_floor(&self) -> bool {
        higher_is_better(&self.metric)
    }

    fn holds_for(&self, value: f64) -> bool {
        if self.is_floor() {
            value >= self.bound
        } else {
            value <= self.bound
        }
    }
}

impl std::str::FromStr for Limit {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let expected = || format!("expected TARGET:SCENARIO[/CASE]:METRIC=BOUND, got {spec:?}");
        let (name, bound) = spec.split_once('=').ok_or_else(expected)?;
        let bound: f64 = bound
            .parse()
            .ok()
            .filter(|b: &f64| b.is_finite() && *b >= 0.0)
            .ok_or_else(|| format!("the bound in {spec:?} must be a number ≥ 0"))?;
        let mut parts = name.splitn(3, ':');
        let (Some(target), Some(scenario), Some(metric)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(expected());
        };
        let (scenario, case_prefix) = scenario.split_once('/').unwrap_or((scenario, ""));
        if [target, scenario, metric].iter().any(|p| p.is_empty()) {
            return Err(expected());
        }
        Ok(Limit {
            target: target.to_string(),
            scenario: scenario.to_string(),
            case_prefix: case_prefix.to_string(),
            metric: metric.to_string(),
            bound,
        })
    }
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let relation = if self.is_floor() { "at least" } else { "at most" };
        let cases = if self.case_prefix.is_empty() {
            String::new()
        } else {
            format!(" (cases {}…)", self.case_prefix)
        };
        write!(
            f,
            "{} in {}{cases}: `{}` {relation} {}",
            self.target, self.scenario, self.metric, self.bound
        )
    }
}

/// The limit failures in `med`: one line per case past its limit, and one per limit that
/// matched nothing (a limit that checks nothing must not pass silently).
pub fn check_limits(med: &Medians, limits: &[Limit]) -> Vec<String> {
    let mut failures = Vec::new();
    for limit in limits {
        let mut checked = 0;
        for ((sc, case, metric), by_t) in med {
            if *sc != limit.scenario || *metric != limit.metric || !case.starts_with(&limit.case_prefix) {
                continue;
            }
            let Some(value) = by_t.get(&limit.target) else { continue };
            checked += 1;
            if !limit.holds_for(*value) {
                failures.push(format!(
                    "{sc} {case} {metric}: {} measured {value:.2}, limit {}",
                    limit.target, limit.bound
                ));
            }
        }
        if checked == 0 {
            failures.push(format!("limit \"{limit}\" matched no measurement"));
        }
    }
    failures
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_refuse_nonsense() {
        let l: Limit = "tm-cms:s8/page:cms_cpu_us_per_request=1500".parse().unwrap();
        assert_eq!(
            (l.target.as_str(), l.scenario.as_str(), l.case_prefix.as_str()),
            ("tm-cms", "s8", "page")
        );
        assert_eq!((l.metric.as_str(), l.bound), ("cms_cpu_us_per_request", 1500.0));
        let l: Limit = "tm-gateway:s7:delivered_ratio=1".parse().unwrap();
        assert_eq!((l.scenario.as_str(), l.case_prefix.as_str()), ("s7", ""));
        for bad in [
            "s8:cms_cpu_us_per_request=1500",
            "tm-cms:s8:cms_cpu_us_per_request",
            "tm-cms::cpu=3",
            "tm-cms:/page:cpu=3",
            "tm-cms:s8:cpu=-1",
            "tm-cms:s8:cpu=NaN",
        ] {
            assert!(bad.parse::<Limit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_ceiling_a_floor_and_a_limit_that_matches_nothing() {
        let mut med = Medians::new();
        for (sc, case, metric, value) in [
            ("s8", "page,conns=16", "cms_cpu_us_per_request", 900.0),
            ("s8", "post,conns=16", "cms_cpu_us_per_request", 400.0),
            ("s7", "rate=50", "delivered_ratio", 0.98),
        ] {
            let by_t = [("tm-cms".to_string(), value), ("uws".to_string(), 1.0)];
            med.insert((sc.into(), case.into(), metric.into()), by_t.into());
        }
        let limits: Vec<Limit> = [
            "tm-cms:s8:cms_cpu_us_per_request=800",
            "tm-cms:s8/post:cms_cpu_us_per_request=800",
            "tm-cms:s7:delivered_ratio=1",
            "tm-gateway:s8:cms_cpu_us_per_request=800",
        ]
        .iter()
        .map(|l| l.parse().unwrap())
        .collect();
        let failures = check_limits(&med, &limits);
        assert_eq!(failures.len(), 3, "{failures:?}");
        assert_eq!(
            failures[0],
            "s8 page,conns=16 cms_cpu_us_per_request: tm-cms measured 900.00, limit 800"
        );
        assert!(failures[1].starts_with("s7 rate=50 delivered_ratio: tm-cms measured 0.98"));
        assert!(failures[2].contains("matched no measurement"), "{failures:?}");
        let generous: Vec<Limit> = [
            "tm-cms:s8:cms_cpu_us_per_request=900",
            "tm-cms:s8/post:cms_cpu_us_per_request=400",
            "tm-cms:s7:delivered_ratio=0.9",
        ]
        .iter()
        .map(|l| l.parse().unwrap())
        .collect();
        assert!(check_limits(&med, &generous).is_empty(), "a bound is inclusive");
    }
}
