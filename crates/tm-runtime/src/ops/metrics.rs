//! The metric registry of one service, built once at startup and encoded on every scrape.
//!
//! The service's own metrics live under its prefix (`tm_cms_…`, `tm_gateway_…`,
//! `tm_ingest_…`, derived from the service name), so no service can name a metric outside its
//! namespace. Beside them sits `tm_build_info{service, version} 1`, the same metric on all
//! three services so one query shows a half-finished rolling upgrade.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    service: String,
    version: String,
}

/// Every metric one service exports.
#[derive(Debug)]
pub struct MetricsRegistry {
    service: Registry,
    build: Registry,
}

impl MetricsRegistry {
    /// A registry for `service` (e.g. `"tm-gateway"`) running `version`.
    pub fn new(service: &str, version: &str) -> Self {
        let mut build = Registry::default();
        let info = Family::<BuildLabels, Gauge>::default();
        info.get_or_create(&BuildLabels {
            service: service.to_owned(),
            version: version.to_owned(),
        })
        .set(1);
        build.register("tm_build_info", "The build this process runs (always 1)", info);
        MetricsRegistry {
            service: Registry::with_prefix(service.replace('-', "_")),
            build,
        }
    }

    /// Where the service registers its metrics: names get the `tm_<service>_` prefix.
    pub fn service(&mut self) -> &mut Registry {
        &mut self.service
    }

    /// The OpenMetrics text exposition of every metric's current value; `tm_build_info` comes
    /// last, just before the `# EOF` marker.
    pub fn encode(&self) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let mut out = String::new();
        let encoded = encode_registry(&mut out, &self.service)
            .and_then(|()| encode_registry(&mut out, &self.build))
            .and_then(|()| encode_eof(&mut out));
        if let Err(err) = encoded {
            // Only a metric's own encoder can fail; a partial exposition would mislead.
            tracing::error!(error = %err, "cannot encode the metrics");
            out.clear();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use prometheus_client::metrics::counter::Counter;

    use super::*;

    #[test]
    fn service_metrics_carry_the_service_prefix_and_the_build_comes_before_the_end_marker() {
        let mut registry = MetricsRegistry::new("tm-cms", "1.2.3");
        let handled = Counter::<u64>::default();
        registry
            .service()
            .register("handled", "Things handled", handled.clone());
        handled.inc();
        let text = registry.encode();
        assert!(text.contains("tm_cms_handled_total 1\n"), "{text}");
        assert!(
            text.ends_with("tm_build_info{service=\"tm-cms\",version=\"1.2.3\"} 1\n# EOF\n"),
            "{text}"
        );
    }
}
