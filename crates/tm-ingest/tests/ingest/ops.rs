//! The ops listener: readiness follows the broker connection, and the build is in `/metrics`.

use crate::support::*;

#[tokio::test]
async fn readyz_follows_the_broker_connection_and_metrics_carry_the_build() {
    init_test_tracing();
    let prefix = unique_prefix();
    let proxy = ChaosProxy::start(amqp_addr()).await.unwrap();
    let mut s = settings(&prefix);
    s.bus = BusConfig::for_test_via(&prefix, proxy.addr());
    let ingester = TestIngester::spawn(s).await;
    let status_is = |path: &'static str, want: &'static str| {
        let ingester = &ingester;
        move || async move { ingester.get(path).await.0 == want }
    };

    wait_until_async(
        DEADLINE,
        "ready while connected",
        status_is("/readyz", "HTTP/1.1 200 OK"),
    )
    .await;
    assert_eq!(ingester.get("/healthz").await.0, "HTTP/1.1 200 OK");

    proxy.cut();
    wait_until_async(
        DEADLINE,
        "not ready without the broker",
        status_is("/readyz", "HTTP/1.1 503 Service Unavailable"),
    )
    .await;
    assert_eq!(
        ingester.get("/healthz").await.0,
        "HTTP/1.1 200 OK",
        "alive while not ready"
    );

    proxy.restore();
    wait_until_async(DEADLINE, "ready again", status_is("/readyz", "HTTP/1.1 200 OK")).await;

    let (_, metrics) = ingester.get("/metrics").await;
    let build = format!(
        "tm_build_info{{service=\"tm-ingest\",version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(metrics.contains(&build), "{metrics}");
    ingester.stop().await;
}
