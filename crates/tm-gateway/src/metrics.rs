//! Prometheus metrics served at `/metrics`: what an operator needs to see fan-out health at a
//! glance (sockets, rooms, events in and frames out, resets, slow clients, posts).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// How a client is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `GET /ws`.
    WebSocket,
    /// `GET /sse`, the server-sent events fallback.
    EventStream,
}

impl Transport {
    fn label(self) -> TransportLabels {
        let transport = match self {
            Transport::WebSocket => "ws",
            Transport::EventStream => "sse",
        };
        TransportLabels { transport }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TransportLabels {
    transport: &'static str,
}

/// Every metric of the gateway. Cheap to update from any task (atomics).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Open client connections, both transports.
    pub connections: Gauge,
    /// The same, per transport (`transport="ws"|"sse"`).
    pub connections_by_transport: Family<TransportLabels, Gauge>,
    pub rooms: Gauge,
    pub events_received: Counter,
    pub events_duplicate: Counter,
    pub frames_sent: Counter,
    pub resets: Counter,
    pub slow_clients_closed: Counter,
    pub posts_accepted: Counter,
    pub posts_rejected: Counter,
    pub posts_unavailable: Counter,
    pub connections_refused: Counter,
    pub heads_learned: Counter,
    pub heads_missing: Counter,
}

impl Metrics {
    /// A client connected over `transport`.
    pub fn connection_opened(&self, transport: Transport) {
        self.connections.inc();
        self.connections_by_transport.get_or_create(&transport.label()).inc();
    }

    /// A client of `transport` is gone.
    pub fn connection_closed(&self, transport: Transport) {
        self.connections.dec();
        self.connections_by_transport.get_or_create(&transport.label()).dec();
    }

    /// Registers every metric (once, at startup); `registry` adds the `tm_gateway_` prefix.
    pub fn register(&self, registry: &mut Registry) {
        let gauges = [
            (
                "connections",
                "Open client connections (WebSockets and event streams)",
                &self.connections,
            ),
            (
                "rooms",
                "Rooms with local subscribers (or lingering after the last left)",
                &self.rooms,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        registry.register(
            "connections_by_transport",
            "Open client connections per transport (ws, sse)",
            self.connections_by_transport.clone(),
        );
        let counters = [
            (
                "events_received",
                "Room events received from the bus",
                &self.events_received,
            ),
            (
                "events_duplicate",
                "Room events dropped as already seen",
                &self.events_duplicate,
            ),
            ("frames_sent", "Event frames queued to sockets", &self.frames_sent),
            (
                "resets",
                "Reset frames sent (client must refetch from the CMS)",
                &self.resets,
            ),
            (
                "slow_clients_closed",
                "Clients dropped for reading too slowly (WebSockets closed with 1013, event streams ended)",
                &self.slow_clients_closed,
            ),
            ("posts_accepted", "Posts confirmed by the broker", &self.posts_accepted),
            (
                "posts_rejected",
                "Posts refused by validation or room policy",
                &self.posts_rejected,
            ),
            (
                "posts_unavailable",
                "Posts the broker did not confirm",
                &self.posts_unavailable,
            ),
            (
                "connections_refused",
                "Connections refused (limit, draining), both transports",
                &self.connections_refused,
            ),
            (
                "heads_learned",
                "Joins that waited for a room's head from the CMS and got it",
                &self.heads_learned,
            ),
            (
                "heads_missing",
                "Joins that got no room head in time and trusted the client's since",
                &self.heads_missing,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text_with_current_values() {
        let metrics = Metrics::default();
        let mut registry = tm_runtime::MetricsRegistry::new(crate::SERVICE, env!("CARGO_PKG_VERSION"));
        metrics.register(registry.service());
        metrics.connections.set(3);
        metrics.connection_opened(Transport::EventStream);
        metrics.posts_accepted.inc();
        let text = registry.encode();
        assert!(text.contains("tm_gateway_connections 4"), "{text}");
        assert!(
            text.contains("tm_gateway_connections_by_transport{transport=\"sse\"} 1"),
            "{text}"
        );
        assert!(text.contains("tm_gateway_posts_accepted_total 1"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
        let build = format!(
            "tm_build_info{{service=\"tm-gateway\",version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        assert!(text.contains(&build), "{text}");
    }
}
