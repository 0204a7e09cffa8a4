//! The presence ticker: once a second it lets the hub send changed totals to clients (so they
//! get at most one `presence` frame a second) and publishes this gateway's per-room counts for
//! the other gateways. On shutdown it says goodbye with a count of 0 for every room.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::join_all;
use tm_core::event::{Envelope, Presence, RoomId};
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
    let period = presence.heartbeat().as_secs().max(1);
    let mut tick = tokio::time::interval(TICK);
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        ticks = ticks.wrapping_add(1);
        let announcements = ctx
            .hub
            .presence_tick(|room| heartbeat_due(room, ticks, period), presence.expiry(), linger);
        publish(&ctx, announcements).await;
    }
}

/// Each room re-announces once per `period` ticks, in its own slot: a gateway with a thousand
/// rooms then publishes (and receives back) a few dozen heartbeats a second rather than a
/// thousand at once, which stalled the room events queued behind them (S4's p99).
fn heartbeat_due(room: RoomId, tick: u64, period: u64) -> bool {
    (room % period + tick % period).is_multiple_of(period)
}

/// After the drain: every room is empty now; tell the other gateways and drop the rooms.
pub(crate) async fn goodbye(ctx: &Context) {
    let announcements = ctx
        .hub
        .presence_tick(|_| true, ctx.settings.presence.expiry(), Duration::ZERO);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_room_gets_one_heartbeat_per_period_and_rooms_are_spread_over_the_slots() {
        let period = 15;
        for room in [1, 2, 17, 999, u64::MAX] {
            let due = (0..period).filter(|&tick| heartbeat_due(room, tick, period)).count();
            assert_eq!(due, 1, "room {room}");
        }
        let due_at_once = (0..1000).filter(|&room| heartbeat_due(room, 7, period)).count();
        assert!(due_at_once <= 1000 / 15 + 1, "{due_at_once} of 1000 rooms in one tick");
    }
}
