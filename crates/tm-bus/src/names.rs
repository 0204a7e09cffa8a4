//! Physical names on the broker: exchanges and queues, with the configured prefix.
//!
//! The prefix isolates one deployment (or one test) from another on a shared broker. Routing
//! keys are never prefixed: isolation comes from the exchanges themselves.

use tm_core::event::{Routing, COMMANDS_EXCHANGE, DEAD_LETTER_EXCHANGE, EVENTS_EXCHANGE};

/// The two exchanges messages are published to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exchange {
    /// `tm.events`, topic.
    Events,
    /// `tm.commands`, direct; publishes here are `mandatory`.
    Commands,
}

impl From<Routing> for Exchange {
    fn from(routing: Routing) -> Self {
        match routing {
            Routing::Room { .. } | Routing::Event { .. } => Exchange::Events,
            Routing::Command { .. } => Exchange::Commands,
        }
    }
}

/// The durable quorum queues of the topology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandQueue {
    /// `cms.posts` ← `post.submit` on `tm.commands`.
    CmsPosts,
    /// `cms.ingest` ← `ingest.item`, `ingest.retract` on `tm.commands` (one queue: a retract
    /// is handled after the item it retracts).
    CmsIngest,
    /// `cms.control` ← `sources.snapshot.request`, `room.head.request` on `tm.commands`.
    CmsControl,
    /// `ingest.sources` ← `sources.changed`, `sources.snapshot` on `tm.events`; single active
    /// consumer.
    IngestSources,
}

impl CommandQueue {
    /// Every queue the topology declares.
    pub const ALL: [CommandQueue; 4] = [
        CommandQueue::CmsPosts,
        CommandQueue::CmsIngest,
        CommandQueue::CmsControl,
        CommandQueue::IngestSources,
    ];

    /// The unprefixed name, also the dead-letter routing key.
    pub fn name(&self) -> &'static str {
        match self {
            CommandQueue::CmsPosts => "cms.posts",
            CommandQueue::CmsIngest => "cms.ingest",
            CommandQueue::CmsControl => "cms.control",
            CommandQueue::IngestSources => "ingest.sources",
        }
    }

    /// The exchange the queue is bound to and the keys it receives.
    pub fn bindings(&self) -> (Exchange, &'static [&'static str]) {
        match self {
            CommandQueue::CmsPosts => (Exchange::Commands, &["post.submit"]),
            CommandQueue::CmsIngest => (Exchange::Commands, &["ingest.item", "ingest.retract"]),
            CommandQueue::CmsControl => (Exchange::Commands, &["sources.snapshot.request", "room.head.request"]),
            CommandQueue::IngestSources => (Exchange::Events, &["sources.changed", "sources.snapshot"]),
        }
    }

    /// Whether the queue is declared with `x-single-active-consumer` (tm-ingest's lock).
    pub fn single_active_consumer(&self) -> bool {
        matches!(self, CommandQueue::IngestSources)
    }
}

/// Prefix-aware names of everything tm declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    prefix: String,
}

impl Names {
    pub fn new(prefix: &str) -> Self {
        Names {
            prefix: prefix.to_owned(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn events_exchange(&self) -> String {
        format!("{}{EVENTS_EXCHANGE}", self.prefix)
    }

    pub fn commands_exchange(&self) -> String {
        format!("{}{COMMANDS_EXCHANGE}", self.prefix)
    }

    pub fn dead_exchange(&self) -> String {
        format!("{}{DEAD_LETTER_EXCHANGE}", self.prefix)
    }

    pub fn exchange(&self, exchange: Exchange) -> String {
        match exchange {
            Exchange::Events => self.events_exchange(),
            Exchange::Commands => self.commands_exchange(),
        }
    }

    pub fn queue(&self, queue: CommandQueue) -> String {
        format!("{}{}", self.prefix, queue.name())
    }

    /// `tm.dead.<queue>`: where the queue's poison messages end.
    pub fn dead_queue(&self, queue: CommandQueue) -> String {
        format!("{}{DEAD_LETTER_EXCHANGE}.{}", self.prefix, queue.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_names_match_the_architecture() {
        let n = Names::new("");
        assert_eq!(n.events_exchange(), "tm.events");
        assert_eq!(n.commands_exchange(), "tm.commands");
        assert_eq!(n.dead_exchange(), "tm.dead");
        assert_eq!(n.queue(CommandQueue::CmsPosts), "cms.posts");
        assert_eq!(n.dead_queue(CommandQueue::CmsIngest), "tm.dead.cms.ingest");
    }

    #[test]
    fn prefix_applies_to_every_name() {
        let n = Names::new("test-1.");
        assert_eq!(n.events_exchange(), "test-1.tm.events");
        assert_eq!(n.queue(CommandQueue::IngestSources), "test-1.ingest.sources");
        assert_eq!(n.dead_queue(CommandQueue::CmsControl), "test-1.tm.dead.cms.control");
    }

    #[test]
    fn command_routing_picks_the_commands_exchange() {
        assert_eq!(
            Exchange::from(Routing::Command { key: "post.submit" }),
            Exchange::Commands
        );
        assert_eq!(
            Exchange::from(Routing::Event { key: "sources.changed" }),
            Exchange::Events
        );
    }
}
