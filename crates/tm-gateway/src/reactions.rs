//! The reactions ticker: once a second, each room that had reactions gets one `reactions`
//! frame (see [`crate::hub::Hub::reactions_tick`]), and this gateway's own counts go on the bus
//! as `room.<id>.reactions` for the other gateways, like presence.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tm_core::event::{Envelope, Reactions};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::hub::ReactionAnnouncements;

/// The aggregation window: at most one `reactions` frame per room per second.
const WINDOW: Duration = Duration::from_secs(1);
/// Reactions are advisory: counts the broker does not confirm quickly are given up.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// Ticks until `stop` is cancelled.
pub(crate) async fn run(ctx: Arc<Context>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(WINDOW);
    // A late tick must not be followed by a quick one: clients get at most one frame a second.
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let announcements = ctx.hub.reactions_tick();
        // Not awaited in the loop: a slow broker must not delay the next window's frames.
        let ctx = Arc::clone(&ctx);
        tokio::spawn(async move { publish(&ctx, announcements).await });
    }
}

async fn publish(ctx: &Context, announcements: ReactionAnnouncements) {
    if announcements.is_empty() || !ctx.bus.is_connected() {
        return;
    }
    let sends = announcements.into_iter().map(|(room_id, counts)| async move {
        let envelope = Envelope::new(
            crate::SERVICE,
            Reactions {
                room_id,
                gateway_id: ctx.gateway_id,
                counts,
            },
        );
        match tokio::time::timeout(PUBLISH_TIMEOUT, ctx.publisher.publish(&envelope)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::debug!(room_id, error = %err, "reactions not published"),
            Err(_) => tracing::debug!(room_id, "reactions publish timed out"),
        }
    });
    join_all(sends).await;
}
