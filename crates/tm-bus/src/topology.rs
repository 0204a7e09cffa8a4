//! The whole broker topology, declared in one place on every (re)connect.
//!
//! - `tm.events` (topic), `tm.commands` (direct), `tm.dead` (direct, the dead-letter exchange);
//! - quorum queues `cms.posts`, `cms.ingest`, `cms.control`, `ingest.sources`, each with
//!   `x-delivery-limit`, `x-dead-letter-exchange = tm.dead` and a dead-letter routing key equal
//!   to the queue's name, so poison lands in the quorum queue `tm.dead.<queue>`;
//! - `ingest.sources` has `x-single-active-consumer` (tm-ingest's single-active lock).
//!
//! Declaring is idempotent; a queue that exists with other arguments fails the declaration
//! (PRECONDITION_FAILED) and the supervisor keeps retrying and logging it.
//!
//! # Delivery limit semantics (measured on this deployment's RabbitMQ 3.10.8)
//! On 3.x the quorum queue counts *every* return of a message in `x-delivery-count`: a
//! `nack`/`reject` with requeue **and** a return caused by the consumer's channel or
//! connection closing (test `delivery_count_grows_when_a_connection_drops` shows this). There
//! is no default limit on 3.x: the one configured here is the only one. RabbitMQ 4.0 changed
//! this: a default limit of 20 applies to quorum queues, and a `nack`/`reject` with requeue no
//! longer counts — only returns it considers failures (modified/delivery-failed, consumer
//! crash/disconnect) do. Consequences for tm:
//! - we never requeue on a transient handler error (the consumer waits and calls the handler
//!   again with the same delivery), so a database outage burns no delivery attempts;
//! - each broker/connection outage while a message is in flight costs that message one attempt;
//!   with `delivery_limit = 5`, a message in flight through five consecutive connection losses
//!   would be dead-lettered although valid. It is kept in `tm.dead.<queue>`, not lost, and can
//!   be shovelled back. Raise `delivery_limit` if outages are frequent.

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ExchangeKind};

use crate::config::BusConfig;
use crate::names::{CommandQueue, Names};

pub(crate) async fn declare(conn: &Connection, names: &Names, cfg: &BusConfig) -> Result<(), lapin::Error> {
    let mut ch = conn.create_channel().await?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    let exchanges = [
        (names.events_exchange(), ExchangeKind::Topic),
        (names.commands_exchange(), ExchangeKind::Direct),
        (names.dead_exchange(), ExchangeKind::Direct),
    ];
    for (name, kind) in exchanges {
        ch.exchange_declare(name.into(), kind, durable, FieldTable::default())
            .await?;
    }
    for queue in CommandQueue::ALL {
        let dead = names.dead_queue(queue);
        declare_queue(conn, &mut ch, &dead, quorum_args()).await?;
        ch.queue_bind(
            dead.into(),
            names.dead_exchange().into(),
            queue.name().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;

        let name = names.queue(queue);
        declare_queue(conn, &mut ch, &name, command_queue_args(queue, names, cfg)).await?;
        let (exchange, keys) = queue.bindings();
        for key in keys {
            ch.queue_bind(
                name.clone().into(),
                names.exchange(exchange).into(),
                (*key).into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        }
    }
    ch.close(200, "topology declared".into()).await
}

/// Declares a durable queue. If it already exists with other arguments (typically after
/// `delivery_limit` was changed in the config), the broker refuses the declaration and closes
/// the channel; we then use the queue as it is rather than keep the service from starting,
/// and say so loudly. Change arguments of a live queue with a policy.
async fn declare_queue(conn: &Connection, ch: &mut Channel, name: &str, args: FieldTable) -> Result<(), lapin::Error> {
    let opts = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    match ch.queue_declare(name.into(), opts, args).await {
        Ok(_) => Ok(()),
        Err(err) if is_precondition_failed(&err) => {
            tracing::error!(queue = name, error = %err,
                "queue exists with other arguments; using it as it is (change it with a policy)");
            *ch = conn.create_channel().await?;
            let passive = QueueDeclareOptions {
                passive: true,
                ..Default::default()
            };
            ch.queue_declare(name.into(), passive, FieldTable::default())
                .await
                .map(|_| ())
        }
        Err(err) => Err(err),
    }
}

fn is_precondition_failed(err: &lapin::Error) -> bool {
    matches!(err.kind(), lapin::ErrorKind::ProtocolError(e)
        if *e.kind() == AMQPErrorKind::Soft(AMQPSoftError::PRECONDITIONFAILED))
}

/// Removes everything [`declare`] made (tests and teardown; never called by services).
pub(crate) async fn delete(conn: &Connection, names: &Names) -> Result<(), lapin::Error> {
    let ch = conn.create_channel().await?;
    for queue in CommandQueue::ALL {
        for name in [names.queue(queue), names.dead_queue(queue)] {
            ch.queue_delete(name.into(), QueueDeleteOptions::default()).await?;
        }
    }
    for name in [
        names.events_exchange(),
        names.commands_exchange(),
        names.dead_exchange(),
    ] {
        ch.exchange_delete(name.into(), ExchangeDeleteOptions::default())
            .await?;
    }
    ch.close(200, "topology deleted".into()).await
}

fn quorum_args() -> FieldTable {
    let mut args = FieldTable::default();
    args.insert("x-queue-type".into(), AMQPValue::LongString("quorum".into()));
    args
}

fn command_queue_args(queue: CommandQueue, names: &Names, cfg: &BusConfig) -> FieldTable {
    let mut args = quorum_args();
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(i64::from(cfg.delivery_limit)),
    );
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(names.dead_exchange().into()),
    );
    args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(queue.name().into()),
    );
    if queue.single_active_consumer() {
        args.insert("x-single-active-consumer".into(), AMQPValue::Boolean(true));
    }
    args
}
