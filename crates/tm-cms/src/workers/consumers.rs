//! The CMS's bus consumers: `post.submit`, `ingest.item` / `ingest.retract` and
//! `sources.snapshot.request`.
//!
//! Policy: an undecodable payload is poison (dead-lettered for inspection). Any database
//! failure is transient, so the delivery waits and is retried in place (never dead-lettered)
//! until the database is back. A post that breaks a rule (too long, room closed, slow mode…)
//! is not an infrastructure error: the gateway validated it already, so it is acked and
//! dropped with a log line.

use tm_bus::{Bus, CommandQueue, HandleError};
use tm_core::event::{IngestItem, IngestRetract, PostSubmit, RawEnvelope, SourcesSnapshotRequest};
use tm_core::Event;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::db::DbError;
use crate::engine::posting::{NewPost, PostError, RoomRef};
use crate::engine::Engine;

fn transient(queue: &str, engine: &Engine, err: &DbError) -> HandleError {
    engine.metrics().consumed(queue, "retry");
    tracing::warn!(queue, error = %err, "database failure; the delivery will be retried");
    HandleError::transient(err)
}

async fn handle_post(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    const QUEUE: &str = "cms.posts";
    let envelope_id = env.id;
    let cmd = env.decode::<PostSubmit>().map_err(HandleError::poison)?.payload;
    let span = tracing::info_span!("post.submit", %envelope_id, room_id = cmd.room_id, client_id = %cmd.client_id);
    let post = NewPost {
        room: RoomRef::Id(cmd.room_id),
        nickname: cmd.nickname,
        body: cmd.body,
        participant_id: cmd.participant_id,
        client_id: Some(cmd.client_id),
        client_ip: None,
    };
    match engine.post_message(post).instrument(span).await {
        Ok(_) => {
            engine.metrics().consumed(QUEUE, "stored");
            Ok(())
        }
        Err(PostError::Db(err)) => Err(transient(QUEUE, &engine, &err)),
        Err(PostError::Unexpected(err)) => {
            engine.metrics().consumed(QUEUE, "retry");
            Err(HandleError::transient(err))
        }
        Err(rule) => {
            engine.metrics().consumed(QUEUE, "dropped");
            tracing::info!(%envelope_id, reason = crate::errors::ApiErrorCode::code(&rule), "post.submit dropped: {rule}");
            Ok(())
        }
    }
}

async fn handle_ingest(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    if env.kind == IngestRetract::TYPE {
        return handle_retract(engine, env).await;
    }
    const QUEUE: &str = "cms.ingest";
    let envelope_id = env.id;
    let item = env.decode::<IngestItem>().map_err(HandleError::poison)?.payload;
    let span = tracing::info_span!("ingest.item", %envelope_id, external_id = %item.external_id);
    match engine.ingest(&item).instrument(span).await {
        Ok(outcomes) => {
            tracing::debug!(?outcomes, "ingested");
            engine.metrics().consumed(QUEUE, "stored");
            Ok(())
        }
        Err(err) => Err(transient(QUEUE, &engine, &err)),
    }
}

async fn handle_retract(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    const QUEUE: &str = "cms.ingest";
    let envelope_id = env.id;
    let retract = env.decode::<IngestRetract>().map_err(HandleError::poison)?.payload;
    let span = tracing::info_span!("ingest.retract", %envelope_id, source = retract.source.as_str(), external_id = %retract.external_id);
    match engine.retract(&retract).instrument(span.clone()).await {
        Ok(deleted) => {
            span.in_scope(|| tracing::info!(deleted, "retracted at the source"));
            engine.metrics().consumed(QUEUE, "retracted");
            Ok(())
        }
        Err(err) => Err(transient(QUEUE, &engine, &err)),
    }
}

async fn handle_snapshot_request(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    const QUEUE: &str = "cms.control";
    let request = env
        .decode::<SourcesSnapshotRequest>()
        .map_err(HandleError::poison)?
        .payload;
    match engine.publish_sources_snapshot().await {
        Ok(rooms) => {
            tracing::info!(requested_by = %request.requested_by, rooms, "sources snapshot queued");
            engine.metrics().consumed(QUEUE, "stored");
            Ok(())
        }
        Err(err) => Err(transient(QUEUE, &engine, &err)),
    }
}

/// Starts the three consumers; they run until `shutdown`.
pub fn spawn(bus: &Bus, engine: &Engine, shutdown: &CancellationToken) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let start = |queue: CommandQueue, task: JoinHandle<Result<(), tm_bus::BusError>>| {
        tokio::spawn(async move {
            match task.await {
                Ok(Ok(())) => tracing::info!(queue = queue.name(), "consumer stopped"),
                Ok(Err(err)) => tracing::error!(queue = queue.name(), error = %err, "consumer ended"),
                Err(err) => tracing::error!(queue = queue.name(), error = %err, "consumer panicked"),
            }
        })
    };
    let (b, e, s) = (bus.clone(), engine.clone(), shutdown.clone());
    tasks.push(start(
        CommandQueue::CmsPosts,
        tokio::spawn(async move {
            b.consume(CommandQueue::CmsPosts, move |env| handle_post(e.clone(), env), s)
                .await
        }),
    ));
    let (b, e, s) = (bus.clone(), engine.clone(), shutdown.clone());
    tasks.push(start(
        CommandQueue::CmsIngest,
        tokio::spawn(async move {
            b.consume(CommandQueue::CmsIngest, move |env| handle_ingest(e.clone(), env), s)
                .await
        }),
    ));
    let (b, e, s) = (bus.clone(), engine.clone(), shutdown.clone());
    tasks.push(start(
        CommandQueue::CmsControl,
        tokio::spawn(async move {
            b.consume(
                CommandQueue::CmsControl,
                move |env| handle_snapshot_request(e.clone(), env),
                s,
            )
            .await
        }),
    ));
    tasks
}
