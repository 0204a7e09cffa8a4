//! The counts every scenario prints, and the checks that turn them into a verdict.

use serde_json::Value;
use tm_e2e::live::LiveClient;

/// What one scenario saw, printed as one line so CI logs show it.
#[derive(Debug, Default)]
pub struct Counts {
    pub sent: usize,
    pub stored: usize,
    pub delivered: usize,
    pub duplicates: usize,
    pub gaps: usize,
}

impl Counts {
    pub fn print(&self, scenario: &str) {
        println!(
            "e2e {scenario}: sent={} stored={} delivered={} duplicates={} gaps={}",
            self.sent, self.stored, self.delivered, self.duplicates, self.gaps
        );
    }
}

/// Checks that a client saw exactly `log` (the room's event log), in order, once each, and
/// that the gateway never repeated or skipped an event on an open socket.
pub fn check_client_matches_log(client: &LiveClient, log: &[Value], counts: &mut Counts) {
    client.snapshot(|o| {
        let seen: Vec<u64> = o.events.iter().map(|e| e.seq).collect();
        let expected: Vec<u64> = log.iter().filter_map(|e| e["seq"].as_u64()).collect();
        counts.delivered += seen.len();
        counts.duplicates += o.repeats_on_socket as usize;
        counts.gaps += o.gaps_on_socket as usize;
        assert_eq!(o.repeats_on_socket, 0, "gateway repeated events on an open socket");
        assert_eq!(
            o.gaps_on_socket, 0,
            "gateway skipped events on an open socket without reset"
        );
        assert_eq!(seen, expected, "client's events differ from the room's event log");
        for (got, want) in o.events.iter().zip(log) {
            assert_eq!(got.event, want["event"].as_str().unwrap_or_default());
            assert_eq!(got.data, want["data"], "payload of seq {} differs", got.seq);
        }
    });
}
