//! The bus-facing side, kept thin: publishing `ingest.item`, `ingest.retract` and
//! `sources.snapshot.request`, and consuming the watch list from the durable `ingest.sources`
//! queue. Everything else in the crate knows nothing about AMQP.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use tm_bus::{Bus, CommandQueue, Incoming, Publisher, QueueKind, SubscribeSpec, SubscriptionEvent};
use tm_core::event::{SourcesChanged, SourcesSnapshot, SourcesSnapshotRequest};
use tm_core::{Envelope, Event, RawEnvelope};
use tokio_util::sync::CancellationToken;

use crate::delivery::{ItemPublisher, Outgoing};
use crate::state::StateStore;
use crate::watch::WatchTx;

/// `ingest.item` and `ingest.retract` through tm-bus's confirmed publisher.
pub struct BusItemPublisher(pub Publisher);

impl ItemPublisher for BusItemPublisher {
    fn publish<'a>(&'a self, cmd: &'a Outgoing) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let sent = match cmd {
                Outgoing::Item(env) => self.0.publish(env).await,
                Outgoing::Retract(env) => self.0.publish(env).await,
            };
            sent.map_err(|e| e.to_string())
        })
    }
}

/// Consumes `ingest.sources` into the watch list until `stop`. Asks the CMS for a snapshot
/// at start and after every broker recovery (changes may have been missed meanwhile).
#[tracing::instrument(name = "watch_list", skip_all)]
pub async fn consume_watch_list(
    bus: Bus,
    publisher: Publisher,
    watch: Arc<WatchTx>,
    store: StateStore,
    stop: CancellationToken,
) {
    let spec = SubscribeSpec {
        queue: QueueKind::Durable(CommandQueue::IngestSources),
        single_active: true,
    };
    let mut sub = match bus.subscribe(spec).await {
        Ok(sub) => sub,
        Err(err) => {
            tracing::error!(error = %err, "cannot subscribe to ingest.sources");
            return;
        }
    };
    spawn_snapshot_request(&publisher, &stop);
    loop {
        let event = tokio::select! {
            _ = stop.cancelled() => return,
            ev = sub.next() => ev,
        };
        match event {
            None => return,
            Some(SubscriptionEvent::Recovered) => {
                tracing::info!("broker recovered; asking for a fresh snapshot");
                spawn_snapshot_request(&publisher, &stop);
            }
            Some(SubscriptionEvent::Message(msg)) => handle(&msg, &watch, &store).await,
        }
    }
}

async fn handle(msg: &Incoming, watch: &WatchTx, store: &StateStore) {
    match apply(&msg.body, watch) {
        Ok(kind) => {
            store.save(&watch.borrow());
            tracing::info!(kind, rooms = watch.borrow().len(), "watch list updated");
            if let Err(err) = msg.ack().await {
                tracing::warn!(error = %err, "ack failed; the message will be redelivered");
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, routing_key = %msg.routing_key, "undecodable watch-list message; dead-lettering");
            if let Err(err) = msg.reject().await {
                tracing::warn!(error = %err, "reject failed");
            }
        }
    }
}

/// Applies one `sources.*` message to the watch list; returns its type.
pub fn apply(body: &[u8], watch: &WatchTx) -> Result<&'static str, tm_core::event::DecodeError> {
    let raw = RawEnvelope::from_slice(body)?;
    if raw.kind == SourcesSnapshot::TYPE {
        let env = raw.decode::<SourcesSnapshot>()?;
        watch.send_modify(|list| Arc::make_mut(list).apply_snapshot(&env.payload));
        Ok(SourcesSnapshot::TYPE)
    } else {
        let env = raw.decode::<SourcesChanged>()?;
        watch.send_modify(|list| Arc::make_mut(list).apply_changed(&env.payload));
        Ok(SourcesChanged::TYPE)
    }
}

fn spawn_snapshot_request(publisher: &Publisher, stop: &CancellationToken) {
    let publisher = publisher.clone();
    let stop = stop.clone();
    tokio::spawn(async move {
        let request = SourcesSnapshotRequest {
            requested_by: crate::SERVICE.to_owned(),
        };
        match publisher
            .publish_retrying(&Envelope::new(crate::SERVICE, request), &stop)
            .await
        {
            Ok(()) => tracing::info!("sources.snapshot.request sent"),
            Err(err) => tracing::debug!(error = %err, "snapshot request abandoned"),
        }
    });
}
