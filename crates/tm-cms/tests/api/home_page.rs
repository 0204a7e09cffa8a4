//! The home page's two boxes: "join a room" by name, and the create form's name check.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{page_client, spawn_app, TestApp};

async fn name_check(app: &TestApp, name: &str) -> (StatusCode, Value) {
    let response = app
        .client
        .get(app.url("/rooms/name-check"))
        .query(&[("name", name)])
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Issue: the name check called a closed room's name taken, although a closed room's name is
/// free for a new room (`rooms.open_slug` is NULL once closed). It asked the public room API,
/// which also answers for the latest closed room of a name.
#[tokio::test]
async fn the_name_check_calls_a_closed_rooms_name_free_and_an_open_or_paused_ones_taken() {
    let app = spawn_app().await;
    assert_eq!(
        name_check(&app, "Check-Me").await,
        (StatusCode::OK, json!({"name": "check-me", "available": true}))
    );
    let room = app.create_room("check-me").await;
    assert_eq!(
        name_check(&app, "check-me").await,
        (StatusCode::OK, json!({"name": "check-me", "available": false}))
    );
    let paused = app.patch_room(&room, json!({"state": "paused"})).await;
    assert_eq!(paused.status(), StatusCode::OK);
    assert_eq!(
        name_check(&app, "check-me").await.1["available"],
        false,
        "paused is still open"
    );
    let closed = app
        .owner(
            reqwest::Method::POST,
            "/api/v1/rooms/check-me/close",
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(closed.status(), StatusCode::OK);
    let public = app.get("/api/v1/rooms/check-me").await;
    assert_eq!(public.status(), StatusCode::OK, "the API still shows the closed room");
    assert_eq!(
        name_check(&app, "check-me").await,
        (StatusCode::OK, json!({"name": "check-me", "available": true})),
        "a closed room's name is free"
    );
    // And the check agrees with creation.
    let again = app
        .create_room_with(json!({"name": "check-me", "lifetime": "2h"}))
        .await;
    assert_eq!(again.status(), StatusCode::CREATED);

    for (bad, code) in [
        ("a", "invalid_name"),
        ("two--dashes", "invalid_name"),
        ("admin", "invalid_name"),
    ] {
        let (status, body) = name_check(&app, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(body["error"]["code"], code, "{bad}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    app.stop().await;
}

async fn join(app: &TestApp, typed: &str) -> reqwest::Response {
    page_client()
        .get(app.url("/join"))
        .query(&[("room", typed)])
        .send()
        .await
        .unwrap()
}

/// TodaysMeet's most requested fix: a box on the home page to join a room by its name.
#[tokio::test]
async fn the_join_box_goes_to_the_room_named_or_explains_why_not() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("action=\"/join\""), "{home}");
    assert!(
        home.contains("<label for=\"join-room\">"),
        "the box has a label: {home}"
    );

    app.create_room("physics-101").await;
    for typed in [
        "physics-101",
        " Physics-101 ",
        "https://tm.example/r/physics-101",
        "tm.example/r/physics-101/projector",
    ] {
        let joined = join(&app, typed).await;
        assert_eq!(joined.status(), StatusCode::SEE_OTHER, "{typed}");
        assert_eq!(joined.headers()["location"], "/r/physics-101", "{typed}");
    }

    let closed = app.create_room("old-lecture").await;
    app.owner(
        reqwest::Method::POST,
        "/api/v1/rooms/old-lecture/close",
        &closed.owner_token,
        None,
    )
    .await;
    let to_closed = join(&app, "old-lecture").await;
    assert_eq!(to_closed.headers()["location"], "/r/old-lecture", "its closed page");

    let unknown = join(&app, "chem-lab").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let page = unknown.text().await.unwrap();
    assert!(page.contains("There is no room named chem-lab."), "{page}");
    assert!(page.contains("value=\"chem-lab\""), "the typed name is kept: {page}");
    assert!(page.contains("aria-invalid=\"true\""), "{page}");

    let malformed = join(&app, "no spaces allowed").await;
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = malformed.text().await.unwrap();
    assert!(page.contains("That is not a room name"), "{page}");
    assert!(page.contains("value=\"no spaces allowed\""), "{page}");
    let empty = join(&app, "").await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(join_error(empty).await, "Type the room's name.");
    app.stop().await;
}

/// The join box's error line of a home page answer.
async fn join_error(response: reqwest::Response) -> String {
    let page = response.text().await.unwrap();
    let start = page.find("id=\"join-error\">").expect("the join error") + "id=\"join-error\">".len();
    let end = start + page[start..].find("</p>").unwrap();
    page[start..end].replace("&#x27;", "'")
}
