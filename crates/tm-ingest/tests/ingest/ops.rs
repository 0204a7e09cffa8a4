//! The ops listener: readiness follows the broker connection, and the build is in `/metrics`.

use crate::support::*;

#[tokio::test]
async fn readyz_follows_the_broker_connection_and_metrics_carry_the_build() {
    init_logs();
    let prefix = unique_prefix();
    let proxy = ChaosProxy::start("127.0.0.1:5672".parse().unwrap()).await.unwrap();
    let mut s = settings(&prefix);
    s.bus = bus_config(&prefix, &format!("amqp://guest:guest@{}/%2f", proxy.addr()));
    let ingester = TestIngester::spawn(s).await;

    let status_of = |path: &'static str| {
        let ingester = &ingester;
        async move { ingester.get(path).await.0 }
    };
    wait_until_async_ok(&status_of, "/readyz", "HTTP/1.1 200 OK").await;
    assert_eq!(status_of("/healthz").await, "HTTP/1.1 200 OK");

    proxy.cut();
    wait_until_async_ok(&status_of, "/readyz", "HTTP/1.1 503 Service Unavailable").await;
    assert_eq!(status_of("/healthz").await, "HTTP/1.1 200 OK", "alive while not ready");

    proxy.restore();
    wait_until_async_ok(&status_of, "/readyz", "HTTP/1.1 200 OK").await;

    let (_, metrics) = ingester.get("/metrics").await;
    let build = format!(
        "tm_build_info{{service=\"tm-ingest\",version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(metrics.contains(&build), "{metrics}");
    ingester.stop().await;
}

/// Polls `path` until its status line is `want`, failing after [`DEADLINE`].
async fn wait_until_async_ok<F, Fut>(status_of: &F, path: &'static str, want: &str)
where
    F: Fn(&'static str) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let started = std::time::Instant::now();
    loop {
        let got = status_of(path).await;
        if got == want {
            return;
        }
        assert!(started.elapsed() < DEADLINE, "{path} stayed {got:?}, wanted {want:?}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
