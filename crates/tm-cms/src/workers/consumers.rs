//! The CMS's bus consumers: `post.submit`, `ingest.item` / `ingest.retract`, and on
//! `cms.control` `sources.snapshot.request` and `room.head.request`.
//!
//! Policy: an undecodable payload is poison (dead-lettered for inspection). A database failure
//! that can go away ([`DbError::is_transient`]) is retried with backoff: in place while the
//! database is unreachable (nothing else could proceed either), and moved to the back of the
//! queue after a few retries when it is this delivery's own trouble (a deadlock, a lock wait
//! timeout: `HandleError::Contended`), so other rooms' posts are not held up. One that would fail
//! the same way on every attempt (data too long, a constraint violation…) is dead-lettered with
//! its reason, so it never holds up the deliveries behind it.
//!
//! A post that breaks a rule (slow mode, muted, room paused or closed…) was already answered
//! `accepted` by the gateway, so its poster must hear about it: the CMS writes a `post.rejected`
//! event through the outbox (the gateways turn it into a `rejected` frame), then acks. The
//! refusal is stored under an id derived from the post, so a redelivery of a refused post is
//! acked without being judged again.

use std::future::Future;

use tm_bus::{Bus, CommandQueue, HandleError, Handler};
use tm_core::event::{IngestItem, IngestRetract, PostSubmit, RawEnvelope, RoomHeadRequest, SourcesSnapshotRequest};
use tm_core::Event;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::engine::db::DbError;
use crate::engine::posting::{NewPost, PostError, Refusal, RoomRef, Stored};
use crate::engine::Engine;

/// A database failure: retried when it can go away (in place while the database is unreachable;
/// moved behind the rest of the queue after a few retries when the trouble is this delivery's
/// own, a deadlock or lock wait on one room), dead-lettered with its reason when it cannot.
fn db_failure(queue: &str, engine: &Engine, err: &DbError) -> HandleError {
    if err.is_contention() {
        engine.metrics().consumed(queue, "retry");
        tracing::warn!(queue, error = %err, "lock contention; the delivery will be retried");
        HandleError::contended(err)
    } else if err.is_transient() {
        engine.metrics().consumed(queue, "retry");
        tracing::warn!(queue, error = %err, "transient database failure; the delivery will be retried");
        HandleError::transient(err)
    } else {
        engine.metrics().consumed(queue, "dead");
        tracing::error!(queue, error = %err, "permanent database failure; dead-lettering the delivery");
        HandleError::poison(format!("permanent database failure: {err}"))
    }
}

const POSTS: &str = "cms.posts";

/// At most this many posts that were ready together are judged in one transaction. The bus's
/// prefetch (32 by default) bounds it too: a batch is what has already arrived.
const POST_BATCH: usize = 64;

/// `cms.posts`: a post on its own, or the posts that were ready together in one transaction.
struct PostHandler {
    engine: Engine,
}

impl Handler for PostHandler {
    fn handle(&self, env: RawEnvelope) -> impl Future<Output = Result<(), HandleError>> + Send {
        handle_post(self.engine.clone(), env)
    }

    fn max_batch(&self) -> usize {
        POST_BATCH
    }

    fn handle_batch(&self, envs: &[RawEnvelope]) -> impl Future<Output = bool> + Send {
        handle_post_batch(self.engine.clone(), envs.to_vec())
    }
}

fn queued_post(cmd: PostSubmit) -> NewPost {
    NewPost {
        room: RoomRef::Id(cmd.room_id),
        nickname: cmd.nickname,
        body: cmd.body,
        participant_id: cmd.participant_id,
        client_id: Some(cmd.client_id),
        client_ip: None,
        received_at: Some(cmd.received_at),
    }
}

/// All the batch's posts judged and committed (true), or none kept (false: the bus then hands
/// each over on its own, where a bad one is dead-lettered or retried for its own reason).
async fn handle_post_batch(engine: Engine, envs: Vec<RawEnvelope>) -> bool {
    let count = envs.len();
    let Ok(cmds) = envs
        .into_iter()
        .map(|env| env.decode::<PostSubmit>().map(|e| e.payload))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    let posts: Vec<NewPost> = cmds.into_iter().map(queued_post).collect();
    match engine.messages().post_queued_batch(&posts).await {
        Ok(outcomes) => {
            for outcome in outcomes {
                let outcome = match outcome {
                    Ok(Stored::Message(_)) => "stored",
                    Ok(Stored::AlreadyRefused) => "duplicate",
                    Err(refused) => {
                        let reason = refused.rejection_code().map(|code| code.as_str());
                        tracing::info!(reason, "post.submit rejected: {refused}");
                        "rejected"
                    }
                };
                engine.metrics().consumed(POSTS, outcome);
            }
            tracing::debug!(count, "batch of posts committed");
            true
        }
        Err(err) => {
            tracing::warn!(count, error = %err, "a batch of posts failed; judging them one by one");
            false
        }
    }
}

async fn handle_post(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    const QUEUE: &str = POSTS;
    let envelope_id = env.id;
    let cmd = env.decode::<PostSubmit>().map_err(HandleError::poison)?.payload;
    let span = tracing::info_span!("post.submit", %envelope_id, room_id = cmd.room_id, client_id = %cmd.client_id);
    let (room_id, client_id, participant_id) = (cmd.room_id, cmd.client_id, cmd.participant_id.clone());
    let post = queued_post(cmd);
    let refused = match engine.messages().post_queued(post).instrument(span.clone()).await {
        Ok(Stored::Message(_)) => {
            engine.metrics().consumed(QUEUE, "stored");
            return Ok(());
        }
        Ok(Stored::AlreadyRefused) => {
            engine.metrics().consumed(QUEUE, "duplicate");
            return Ok(());
        }
        Err(PostError::Db(err)) => return Err(db_failure(QUEUE, &engine, &err)),
        Err(PostError::Unexpected(err)) => {
            engine.metrics().consumed(QUEUE, "dead");
            return Err(HandleError::poison(err));
        }
        Err(rule) => rule,
    };
    let Some(code) = refused.rejection_code() else {
        return Err(HandleError::poison(refused));
    };
    let refusal = Refusal {
        room_id,
        client_id,
        participant_id,
        code,
        message: refused.to_string(),
    };
    engine
        .messages()
        .reject_post(refusal)
        .instrument(span)
        .await
        .map_err(|err| db_failure(QUEUE, &engine, &err))?;
    engine.metrics().consumed(QUEUE, "rejected");
    tracing::info!(%envelope_id, reason = code.as_str(), "post.submit rejected: {refused}");
    Ok(())
}

async fn handle_ingest(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    if env.kind == IngestRetract::TYPE {
        return handle_retract(engine, env).await;
    }
    const QUEUE: &str = "cms.ingest";
    let envelope_id = env.id;
    let item = env.decode::<IngestItem>().map_err(HandleError::poison)?.payload;
    let span = tracing::info_span!("ingest.item", %envelope_id, external_id = %item.external_id);
    match engine.messages().ingest(&item).instrument(span).await {
        Ok(outcomes) => {
            tracing::debug!(?outcomes, "ingested");
            engine.metrics().consumed(QUEUE, "stored");
            Ok(())
        }
        Err(err) => Err(db_failure(QUEUE, &engine, &err)),
    }
}

async fn handle_retract(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    const QUEUE: &str = "cms.ingest";
    let envelope_id = env.id;
    let retract = env.decode::<IngestRetract>().map_err(HandleError::poison)?.payload;
    let span = tracing::info_span!("ingest.retract", %envelope_id, source = retract.source.as_str(), external_id = %retract.external_id);
    match engine.messages().retract(&retract).instrument(span.clone()).await {
        Ok(deleted) => {
            span.in_scope(|| tracing::info!(deleted, "retracted at the source"));
            engine.metrics().consumed(QUEUE, "retracted");
            Ok(())
        }
        Err(err) => Err(db_failure(QUEUE, &engine, &err)),
    }
}

/// `cms.control` carries two requests; the envelope's type says which.
async fn handle_control(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    if env.kind == RoomHeadRequest::TYPE {
        handle_head_request(engine, env).await
    } else {
        handle_snapshot_request(engine, env).await
    }
}

async fn handle_head_request(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    const QUEUE: &str = "cms.control";
    let request = env.decode::<RoomHeadRequest>().map_err(HandleError::poison)?.payload;
    match engine.sources().publish_room_head(request.room_id).await {
        Ok(head) => {
            tracing::debug!(room_id = request.room_id, ?head, "room head queued");
            engine
                .metrics()
                .consumed(QUEUE, if head.is_some() { "stored" } else { "dropped" });
            Ok(())
        }
        Err(err) => Err(db_failure(QUEUE, &engine, &err)),
    }
}

async fn handle_snapshot_request(engine: Engine, env: RawEnvelope) -> Result<(), HandleError> {
    const QUEUE: &str = "cms.control";
    let request = env
        .decode::<SourcesSnapshotRequest>()
        .map_err(HandleError::poison)?
        .payload;
    match engine.sources().publish_snapshot().await {
        Ok(rooms) => {
            tracing::info!(requested_by = %request.requested_by, rooms, "sources snapshot queued");
            engine.metrics().consumed(QUEUE, "stored");
            Ok(())
        }
        Err(err) => Err(db_failure(QUEUE, &engine, &err)),
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
        tokio::spawn(async move { b.consume(CommandQueue::CmsPosts, PostHandler { engine: e }, s).await }),
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
            b.consume(CommandQueue::CmsControl, move |env| handle_control(e.clone(), env), s)
                .await
        }),
    ));
    tasks
}
