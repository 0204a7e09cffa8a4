//! Malformed requests get typed 4xx answers, never a 500; health, readiness, metrics, OpenAPI.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{error_code, spawn_app, TestApp};

#[tokio::test]
async fn malformed_requests_get_typed_client_errors() {
    let app = spawn_app().await;
    app.create_room("robust").await;
    let rooms = app.url("/api/v1/rooms");
    let json = |body: &str| {
        app.client
            .post(&rooms)
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    };

    let cases = [
        (
            json("{not json").await.unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (json("").await.unwrap(), StatusCode::BAD_REQUEST, "invalid_json"),
        (
            json(r#"{"name": 5, "lifetime": "2h"}"#).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json(r#"{"lifetime": "2h"}"#).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json(r#"{"name": "x", "lifetime": "2h", "extra": 1}"#).await.unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json(&format!(r#"{{"name": "{}", "lifetime": "2h"}}"#, "a".repeat(100_000)))
                .await
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            app.client.post(&rooms).body("name=x").send().await.unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            app.get("/api/v1/nothing-here").await,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            app.client.put(app.url("/api/v1/rooms/robust")).send().await.unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            app.client
                .delete(app.url("/api/v1/rooms/robust/messages/abc"))
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        // Issue 19: /join reads its optional body itself; an oversized one was a plain-text 413.
        (
            app.client
                .post(app.url("/api/v1/rooms/robust/join"))
                .body(format!(r#"{{"password": "{}"}}"#, "a".repeat(100_000)))
                .send()
                .await
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            app.get("/api/v1/rooms/robust/messages?after=-1").await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            app.get("/api/v1/rooms/robust/events?limit=many").await,
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ];
    for (i, (response, status, code)) in cases.into_iter().enumerate() {
        assert_eq!(response.status(), status, "case {i}");
        assert_eq!(error_code(response).await, code, "case {i}");
    }
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    app.create_room("observed").await;

    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    // The bus connects in the background: ready once both dependencies answer.
    tm_testkit::wait_until_async(crate::helpers::PATIENCE, "the app is ready", || async {
        app.get("/readyz").await.status() == StatusCode::OK
    })
    .await;
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(
        (ready["database"].as_bool(), ready["broker"].as_bool()),
        (Some(true), Some(true))
    );

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"tm_cms_http_requests_total{method="POST",route="/api/v1/rooms",status="201"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("tm_cms_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("tm_cms_relay_lag_events"));
    assert!(metrics.contains("tm_cms_relay_lag_milliseconds"));
    app.stop().await;
}

/// The methods a route of the JSON API could be served under.
const API_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Whether the app routes `method path`: anything but 405 and the unknown-route 404 means a
/// handler answered (a typed 404 such as `room_not_found` counts as routed).
async fn is_routed(app: &TestApp, method: &str, path: &str) -> bool {
    let concrete = path
        .replace("{slug}", "no-such-room")
        .replace("{id}", "1")
        .replace("{participant_id}", "p");
    let response = app
        .client
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(&concrete),
        )
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    match response.status() {
        StatusCode::METHOD_NOT_ALLOWED => false,
        StatusCode::NOT_FOUND => error_code(response).await != "not_found",
        _ => true,
    }
}

#[tokio::test]
async fn the_openapi_description_lists_exactly_the_routes_served() {
    let app = spawn_app().await;

    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();

    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut served: Vec<(String, String)> = tm_cms::api::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    served.sort();
    assert_eq!(documented, served);

    // Documented → served: every documented method and path is really routed.
    for (method, path) in &documented {
        assert!(
            is_routed(&app, method, path).await,
            "{method} {path} is documented but not routed"
        );
    }
    // Served → documented: on every documented path and on every path above one, the app
    // answers no method the description does not list.
    let mut paths: Vec<String> = Vec::new();
    for (_, path) in &documented {
        let segments: Vec<&str> = path.split('/').collect();
        for end in 3..=segments.len() {
            paths.push(segments[..end].join("/"));
        }
    }
    paths.sort();
    paths.dedup();
    for path in &paths {
        for method in API_METHODS {
            if documented.iter().any(|(m, p)| m == method && p == path) {
                continue;
            }
            assert!(
                !is_routed(&app, method, path).await,
                "{method} {path} is routed but not in the OpenAPI description"
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn stopping_drains_the_workers_and_closes_the_listener() {
    let app = spawn_app().await;
    let address = app.address.clone();
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    tokio::time::timeout(std::time::Duration::from_secs(20), app.stop())
        .await
        .expect("stops in time");

    assert!(
        reqwest::get(format!("{address}/healthz")).await.is_err(),
        "no longer listening"
    );
}
