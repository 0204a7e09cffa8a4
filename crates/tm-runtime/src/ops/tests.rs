use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use prometheus_client::metrics::gauge::Gauge;
use serde_json::Value;

use super::*;

fn ops_with_broker_flag(connected: Arc<AtomicBool>) -> (Ops, Gauge) {
    let mut metrics = MetricsRegistry::new("tm-ingest", "0.1.0");
    let active = Gauge::<i64>::default();
    metrics.service().register("active", "1 while active", active.clone());
    let ops = Ops::new(metrics, move || {
        Readiness::new().check("broker", connected.load(Ordering::Relaxed))
    })
    .with_health_field("role", || "standby".into());
    (ops, active)
}

fn json(response: &OpsResponse) -> Value {
    assert_eq!(response.content_type, "application/json");
    serde_json::from_str(&response.body).unwrap()
}

#[tokio::test]
async fn healthz_is_ok_with_the_service_fields() {
    let (ops, _) = ops_with_broker_flag(Arc::new(AtomicBool::new(false)));
    let health = ops.respond("/healthz").await.unwrap();
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(json(&health), serde_json::json!({"status": "ok", "role": "standby"}));
}

#[tokio::test]
async fn readyz_names_every_check_and_turns_503_when_one_fails() {
    let connected = Arc::new(AtomicBool::new(true));
    let (ops, _) = ops_with_broker_flag(Arc::clone(&connected));
    let ready = ops.respond("/readyz").await.unwrap();
    assert_eq!(
        (ready.status, json(&ready)),
        (StatusCode::OK, serde_json::json!({"broker": true}))
    );

    connected.store(false, Ordering::Relaxed);
    let not_ready = ops.respond("/readyz").await.unwrap();
    let body = json(&not_ready);
    assert_eq!(not_ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        (&body["broker"], &body["error"]["code"]),
        (&Value::Bool(false), &"unavailable".into())
    );
}

#[tokio::test]
async fn metrics_show_current_values_of_the_registry_built_once() {
    let (ops, active) = ops_with_broker_flag(Arc::new(AtomicBool::new(true)));
    active.set(1);
    let metrics = ops.respond("/metrics").await.unwrap();
    assert_eq!(metrics.content_type, OPENMETRICS_CONTENT_TYPE);
    assert!(metrics.body.contains("tm_ingest_active 1\n"), "{}", metrics.body);
    active.set(0);
    let later = ops.respond("/metrics").await.unwrap().body;
    assert!(later.contains("tm_ingest_active 0\n"), "{later}");
}

#[tokio::test]
async fn other_paths_are_not_ops_endpoints() {
    let (ops, _) = ops_with_broker_flag(Arc::new(AtomicBool::new(true)));
    assert_eq!(ops.respond("/ws").await, None);
    assert!(Ops::serves("/metrics") && !Ops::serves("/"));
}

#[tokio::test]
async fn the_listener_answers_over_http_until_stopped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let (ops, _) = ops_with_broker_flag(Arc::new(AtomicBool::new(true)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let server = tokio::spawn(serve(listener, Arc::new(ops), stop.clone().cancelled_owned()));

    let get = |path: &'static str| async move {
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut raw = String::new();
        conn.read_to_string(&mut raw).await.unwrap();
        raw
    };
    let health = get("/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200 OK\r\n"), "{health}");
    let (_, body) = health.split_once("\r\n\r\n").unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(body).unwrap(),
        serde_json::json!({"status": "ok", "role": "standby"})
    );
    assert!(get("/nowhere").await.starts_with("HTTP/1.1 404 Not Found\r\n"));

    stop.cancel();
    server.await.unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "the listener is closed"
    );
}
