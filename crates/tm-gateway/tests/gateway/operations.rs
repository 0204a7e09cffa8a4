//! Running the gateway: health, readiness, metrics and the drain on shutdown.

use serde_json::{json, Value};
use tm_core::Role;
use tm_testkit::{unique_prefix, wait_until, wait_until_async};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{token, Client, Cms, Gateway, Room, PATIENCE};

async fn status(url: &str) -> Option<u16> {
    reqwest::get(url).await.ok().map(|r| r.status().as_u16())
}

#[tokio::test]
async fn health_readiness_and_metrics_answer_over_http() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token(&Room::new("physics"), Role::Participant, 280), None)
        .await;

    assert_eq!(status(&gateway.http_url("/healthz")).await, Some(200));
    assert_eq!(status(&gateway.http_url("/readyz")).await, Some(200));
    let metrics = reqwest::get(gateway.http_url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("tm_gateway_connections 1"), "{metrics}");
    assert!(metrics.contains("tm_gateway_rooms 1"), "{metrics}");
    assert_eq!(status(&gateway.http_url("/nowhere")).await, Some(404));
    let plain_get = reqwest::get(gateway.ws_url().replace("ws://", "http://"))
        .await
        .unwrap();
    assert_eq!(plain_get.status().as_u16(), 400, "/ws without an upgrade");
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn health_and_readiness_answer_json_like_every_service() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let get_json = |path: &str| {
        let url = gateway.http_url(path);
        async move {
            let response = reqwest::get(url).await.unwrap();
            (response.status().as_u16(), response.json::<Value>().await.unwrap())
        }
    };

    assert_eq!(get_json("/healthz").await, (200, json!({"status": "ok"})));
    assert_eq!(
        get_json("/readyz").await,
        (200, json!({"broker": true, "accepting": true}))
    );

    // Draining closes the listener, so the last answer is only visible in the check itself.
    gateway.begin_shutdown();
    wait_until(PATIENCE, "readiness reports the drain", || {
        gateway.ctx.readiness().checks().contains(&("accepting", false))
    })
    .await;
    gateway.stop().await;
    cms.clean_up().await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_1001_and_turns_readiness_off() {
    let prefix = unique_prefix();
    let (gateway, cms) = (Gateway::spawn(&prefix).await, Cms::connect(&prefix).await);
    let room = Room::new("physics");
    let mut ada = Client::connect(&gateway).await;
    ada.join(&token(&room, Role::Participant, 280), Some(0)).await;

    gateway.begin_shutdown();

    assert_eq!(ada.close_code().await, Some(CloseCode::Away));
    let readyz = gateway.http_url("/readyz");
    wait_until_async(PATIENCE, "readyz is no longer 200", || async {
        status(&readyz).await != Some(200)
    })
    .await;
    gateway.stop().await;
    cms.clean_up().await;
}

#[test]
fn the_binary_explains_itself_and_serves_by_default() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_tm-gateway"))
        .arg("--help")
        .output()
        .unwrap();

    let text = String::from_utf8(help.stdout).unwrap();
    assert!(help.status.success());
    assert!(text.contains("serve") && text.contains("(the default)"), "{text}");
    assert!(
        text.contains("TM_GATEWAY__SECTION__KEY") && text.contains("--config"),
        "{text}"
    );
}
