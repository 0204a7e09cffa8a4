//! Issue 13, abuse (CMS side): room creation per address, the client address behind a proxy,
//! and a metrics label set clients cannot grow.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{error_code, spawn_app_with, Options, TestApp};

async fn app_with(creates_per_address: u32, trusted_proxies: Vec<std::net::IpAddr>) -> TestApp {
    spawn_app_with(Options {
        tweak: Some(Box::new(move |s| {
            s.rooms.creates_per_address = creates_per_address;
            s.rooms.create_window_secs = 600;
            s.http.trusted_proxies = trusted_proxies;
        })),
        ..Options::default()
    })
    .await
}

/// Creates a room over the API, claiming to come from `header: value` when given.
async fn create(app: &TestApp, name: &str, header: Option<(&str, &str)>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/rooms"))
        .json(&json!({"name": name, "lifetime": "2h"}));
    if let Some((header, value)) = header {
        request = request.header(header, value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn room_creation_is_limited_per_address_on_the_api_and_the_form() {
    let app = app_with(2, vec![]).await;
    for name in ["limit-one", "limit-two"] {
        assert_eq!(create(&app, name, None).await.status(), StatusCode::CREATED);
    }
    let refused = create(&app, "limit-three", None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "about one window / 2 rooms: {retry}");
    assert_eq!(error_code(refused).await, "too_many_rooms");
    let form = app
        .client
        .post(app.url("/rooms"))
        .form(&[("name", "limit-form"), ("lifetime", "2h")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        form.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the page form shares the limit"
    );
    assert!(form.headers().contains_key("retry-after"));
    assert_eq!(
        app.get("/api/v1/rooms/limit-three").await.status(),
        StatusCode::NOT_FOUND,
        "nothing was created"
    );
    app.stop().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    // The test's requests come from 127.0.0.1: here that is the trusted proxy (nginx).
    let app = app_with(1, vec!["127.0.0.1".parse().unwrap()]).await;
    let alice = ("X-Real-IP", "203.0.113.1");
    let bob = ("X-Forwarded-For", "203.0.113.2");
    assert_eq!(create(&app, "alice-1", Some(alice)).await.status(), StatusCode::CREATED);
    assert_eq!(
        create(&app, "alice-2", Some(alice)).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        create(&app, "bob-1", Some(bob)).await.status(),
        StatusCode::CREATED,
        "another client behind the same proxy is not held back by the first"
    );
    app.stop().await;
}

#[tokio::test]
async fn http_posts_through_a_trusted_proxy_are_limited_per_forwarded_client() {
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(|s| {
            s.posting.per_minute = 1;
            s.posting.burst = 1;
            s.http.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        })),
        ..Options::default()
    })
    .await;
    let room = app.create_room("proxied-posts").await;
    let post = |client_ip: &'static str, body: &'static str| {
        app.client
            .post(app.url(&format!("/api/v1/rooms/{}/messages", room.slug)))
            .header("X-Forwarded-For", client_ip)
            .json(&json!({"nickname": "anon", "body": body}))
            .send()
    };
    assert_eq!(
        post("203.0.113.1", "alice one").await.unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(
        post("203.0.113.1", "alice two").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        post("203.0.113.2", "bob one").await.unwrap().status(),
        StatusCode::CREATED,
        "bob is not held back by alice"
    );
    app.stop().await;
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    // 127.0.0.1 is not trusted here: the headers are the client's own claim.
    let app = app_with(1, vec!["192.0.2.1".parse().unwrap()]).await;
    assert_eq!(
        create(&app, "mallory-1", Some(("X-Real-IP", "203.0.113.1")))
            .await
            .status(),
        StatusCode::CREATED
    );
    for header in [("X-Real-IP", "203.0.113.9"), ("X-Forwarded-For", "203.0.113.10")] {
        assert_eq!(
            create(&app, "mallory-2", Some(header)).await.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{header:?} does not buy a fresh limit"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_http_methods_share_one_metrics_label() {
    let app = app_with(10, vec![]).await;
    for method in ["FOOBAR", "BREW", "GET"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.client
            .request(method, app.url("/api/v1/rooms/nothing-here"))
            .send()
            .await
            .unwrap();
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    assert!(metrics.contains("method=\"GET\""));
    assert!(!metrics.contains("FOOBAR") && !metrics.contains("BREW"), "{metrics}");
    app.stop().await;
}

/// The CMS's count of argon2 hashes of new passwords.
async fn password_hashes(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await.text().await.unwrap();
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("tm_cms_password_hashes_total "))
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_password_is_hashed_only_after_the_cheap_checks_pass() {
    let app = app_with(2, vec![]).await;
    app.create_room("taken-name").await;
    let hashed_before = password_hashes(&app).await;
    for (name, why, status) in [
        ("taken-name", "the name is taken", StatusCode::CONFLICT),
        (
            "Not A Valid Name!",
            "the name is invalid",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "free-name",
            "the address is over its limit",
            StatusCode::TOO_MANY_REQUESTS,
        ),
    ] {
        let response = app
            .create_room_with(json!({"name": name, "lifetime": "2h", "password": "hunter22"}))
            .await;
        assert_eq!(response.status(), status, "{why}");
        assert_eq!(password_hashes(&app).await, hashed_before, "no hash when {why}");
    }
    app.stop().await;
}
