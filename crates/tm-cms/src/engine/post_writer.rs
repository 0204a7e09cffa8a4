//! Group commit for HTTP posts: the posts that reach one HTTP worker at the same time are stored
//! in one transaction.
//!
//! Each HTTP worker runs a few writer tasks on its own runtime (so the hand-over costs no
//! thread wake-up). A post waits in the worker's queue; a writer that is free takes it and
//! every post queued behind it (up to [`MAX_BATCH`]) and stores them in one transaction
//! ([`Messages::post_batch`](super::Messages::post_batch)), in order within each room. With one
//! post waiting that is the ordinary one-post transaction; under load one `BEGIN`/`COMMIT` and
//! one wake-up of the relay serve many posts. Several writers keep transactions running in
//! parallel, as the pool allowed before; a batch locks its rooms in ascending id order, so two
//! writers cannot deadlock each other. A batch the database fails is stored again one post at a
//! time, so each post gets its own answer.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};
use tracing::Instrument;

use super::messages::MessageView;
use super::posting::{NewPost, PostError};
use super::Engine;

/// The most posts one transaction stores.
pub const MAX_BATCH: usize = 32;

/// A post, where to answer it, and the span of the request it came in (the writer's work is
/// logged in it, or in a batch span that follows from it).
type Job = (NewPost, oneshot::Sender<Result<MessageView, PostError>>, tracing::Span);

/// The queue of one HTTP worker's writers.
#[derive(Clone)]
pub struct PostWriter {
    queue: mpsc::UnboundedSender<Job>,
}

impl PostWriter {
    /// Starts `writers` writer tasks on the current runtime, storing through `engine` (which
    /// must not itself have a writer).
    pub fn start(engine: Engine, writers: usize) -> PostWriter {
        let (queue, jobs) = mpsc::unbounded_channel();
        let jobs = Arc::new(Mutex::new(jobs));
        for _ in 0..writers.max(1) {
            tokio::spawn(write(engine.clone(), jobs.clone()));
        }
        PostWriter { queue }
    }

    /// Stores `post` with the posts queued alongside it; alone through `engine` if the writers
    /// are gone (they only end with their runtime, or by a panic).
    pub async fn submit(&self, engine: &Engine, post: NewPost) -> Result<MessageView, PostError> {
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError((post, _, _))) = self.queue.send((post, reply, tracing::Span::current())) {
            tracing::error!("the post writers have stopped; storing the post alone");
            return engine.messages().post_alone(post).await;
        }
        answer
            .await
            .map_err(|_| PostError::Unexpected(anyhow::anyhow!("the post writer dropped the post")))?
    }
}

/// One writer: takes what is queued, stores it, answers each post.
async fn write(engine: Engine, jobs: Arc<Mutex<mpsc::UnboundedReceiver<Job>>>) {
    loop {
        let batch = {
            let mut jobs = jobs.lock().await;
            let Some(first) = jobs.recv().await else { return };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        store(&engine, batch).await;
    }
}

async fn store(engine: &Engine, mut batch: Vec<Job>) {
    if batch.len() == 1 {
        if let Some((post, reply, span)) = batch.pop() {
            let _ = reply.send(engine.messages().post_alone(post).instrument(span).await);
        }
        return;
    }
    let span = tracing::info_span!("post_batch", count = batch.len());
    let mut posts = Vec::with_capacity(batch.len());
    let mut answers = Vec::with_capacity(batch.len());
    for (post, reply, request) in batch {
        span.follows_from(&request);
        posts.push(post);
        answers.push((reply, request));
    }
    match engine.messages().post_batch(&posts).instrument(span.clone()).await {
        Ok(results) => {
            for ((reply, _), result) in answers.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
        Err(err) => {
            span.in_scope(|| {
                tracing::warn!(count = posts.len(), error = %err, "a batch of posts failed; storing them one by one");
            });
            for (post, (reply, request)) in posts.into_iter().zip(answers) {
                let _ = reply.send(engine.messages().post_alone(post).instrument(request).await);
            }
        }
    }
}
