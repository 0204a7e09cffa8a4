//! The gateway's side of the bus: one exclusive queue on `tm.events` for this instance.
//!
//! One task owns the subscription. It applies the hub's binding changes one at a time (a
//! binding `room.<id>.#` while the room has local sockets), so a bind and an unbind of the same
//! room can never overtake each other, and it hands every delivery to [`crate::inbound`]. After
//! a broker outage the subscription re-binds by itself and says `Recovered`; events published
//! meanwhile are gone from this queue, so every socket is asked to resync.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tm_bus::{QueueKind, SubscribeSpec, Subscription, SubscriptionEvent};
use tm_core::event::{room_binding, RoomId};
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::hub::Hub;
use crate::inbound;

/// Runs until `stop` is cancelled or the bus is closed.
pub(crate) async fn run(ctx: Arc<Context>, stop: CancellationToken) {
    let Some(mut subscription) = subscribe(&ctx, &stop).await else {
        return;
    };
    ctx.set_subscribed();
    tracing::info!("subscribed to room events");
    let mut bound = HashSet::new();
    loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => return,
            _ = ctx.hub.bindings_changed() => reconcile(&ctx.hub, &subscription, &mut bound).await,
            event = subscription.next() => match event {
                None => return tracing::warn!("bus closed; no more room events"),
                Some(SubscriptionEvent::Message(message)) => {
                    inbound::dispatch(&ctx.hub, ctx.gateway_id, &message.body)
                }
                Some(SubscriptionEvent::Recovered) => ctx.hub.resync_all(),
            },
        }
    }
}

async fn subscribe(ctx: &Context, stop: &CancellationToken) -> Option<Subscription> {
    let spec = SubscribeSpec {
        queue: QueueKind::Exclusive,
        single_active: false,
    };
    loop {
        // Wait for the broker first, so the queue exists before the first join binds to it.
        tokio::select! {
            _ = stop.cancelled() => return None,
            connected = ctx.bus.wait_connected() => connected.ok()?,
        }
        match ctx.bus.subscribe(spec).await {
            Ok(subscription) => return Some(subscription),
            Err(err) => tracing::warn!(error = %err, "cannot subscribe to room events; retrying"),
        }
        tokio::select! {
            _ = stop.cancelled() => return None,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Brings the broker's bindings in line with the rooms the hub serves.
async fn reconcile(hub: &Hub, subscription: &Subscription, bound: &mut HashSet<RoomId>) {
    for (room, wanted) in hub.take_binding_changes() {
        let pattern = room_binding(room);
        if wanted {
            if bound.insert(room) {
                if let Err(err) = subscription.bind(&pattern).await {
                    // The subscription keeps the pattern and applies it when it recovers.
                    tracing::warn!(room, error = %err, "bind deferred until the broker is back");
                }
            }
            hub.mark_bound(room);
        } else if bound.remove(&room) {
            if let Err(err) = subscription.unbind(&pattern).await {
                tracing::warn!(room, error = %err, "unbind deferred until the broker is back");
            }
        }
    }
}
