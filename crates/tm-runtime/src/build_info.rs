//! `tm_build_info{service, version} 1`: which build each process runs, the same metric on all
//! three services so one query shows a half-finished rolling upgrade.

/// Appends the `tm_build_info` gauge to a Prometheus text exposition. OpenMetrics output ends
/// with `# EOF`, after which nothing may follow, so the lines go in before that marker.
pub fn with_build_info(mut exposition: String, service: &str, version: &str) -> String {
    let lines = format!(
        "# HELP tm_build_info The build this process runs (always 1).\n\
         # TYPE tm_build_info gauge\n\
         tm_build_info{{service=\"{service}\",version=\"{version}\"}} 1\n"
    );
    match exposition.rfind("# EOF") {
        Some(at) => exposition.insert_str(at, &lines),
        None => exposition.push_str(&lines),
    }
    exposition
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goes_before_the_openmetrics_end_marker() {
        let text = with_build_info("# TYPE a counter\na_total 1\n# EOF\n".into(), "tm-cms", "1.2.3");
        assert!(
            text.ends_with("tm_build_info{service=\"tm-cms\",version=\"1.2.3\"} 1\n# EOF\n"),
            "{text}"
        );
    }

    #[test]
    fn is_appended_to_plain_text_exposition() {
        let text = with_build_info("a 1\n".into(), "tm-ingest", "0.1.0");
        assert!(text.starts_with("a 1\n# HELP tm_build_info"), "{text}");
        assert!(
            text.ends_with("tm_build_info{service=\"tm-ingest\",version=\"0.1.0\"} 1\n"),
            "{text}"
        );
    }
}
