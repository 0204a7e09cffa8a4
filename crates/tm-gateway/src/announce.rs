//! The presence ticker: once a second it lets the hub send changed totals to clients (so they
//! get at most one `presence` frame a second) and publishes this gateway's per-room counts for
//! the other gateways. On shutdown it says goodbye with a count of 0 for every room.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tm_core::event::{Envelope, Presence};
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::hub::PresenceAnnouncements;

const TICK: Duration = Duration::from_secs(1);
/// Presence is advisory: an announcement that is not confirmed quickly is skipped, the next
/// heartbeat repeats it.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(2);

/// Ticks until `stop` is cancelled.
pub(crate) async fn run(ctx: Arc<Context>, stop: CancellationToken) {
    let presence = &ctx.settings.presence;
    let linger = ctx.settings.rooms.linger();
    let mut tick = tokio::time::interval(TICK);
    let mut last_heartbeat = Instant::now();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let heartbeat = last_heartbeat.elapsed() >= presence.heartbeat();
        if heartbeat {
            last_heartbeat = Instant::now();
        }
        let announcements = ctx.hub.presence_tick(heartbeat, presence.expiry(), linger);
        publish(&ctx, announcements).await;
    }
}

/// After the drain: every room is empty now; tell the other gateways and drop the rooms.
pub(crate) async fn goodbye(ctx: &Context) {
    let announcements = ctx
        .hub
        .presence_tick(true, ctx.settings.presence.expiry(), Duration::ZERO);
    publish(ctx, announcements).await;
}

async fn publish(ctx: &Context, announcements: PresenceAnnouncements) {
    if announcements.is_empty() || !ctx.bus.is_connected() {
        return;
    }
    let sends = announcements.into_iter().map(|(room_id, count)| async move {
        let envelope = Envelope::new(
            crate::SERVICE,
            Presence {
                room_id,
                gateway_id: ctx.gateway_id,
                count,
            },
        );
        match tokio::time::timeout(PUBLISH_TIMEOUT, ctx.publisher.publish(&envelope)).await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => tracing::debug!(room_id, error = %err, "presence not published"),
            Err(_) => tracing::debug!(room_id, "presence publish timed out"),
        }
    });
    join_all(sends).await;
}
