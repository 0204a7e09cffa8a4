//! Co-moderators: the owner creates, lists and revokes them; a co-moderator's token moderates
//! (delete, approve, reject, mute and unmute, answered and pinned, the queue and the audit log)
//! and nothing else (settings, pause, slow mode, hashtags, the word filter, close, polls, the
//! owner token, more moderators: 403 `not_owner`); the audit log names which moderator acted.

use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{error_code, spawn_app, TestApp, TestRoom};

/// A co-moderator as `POST …/moderators` created them.
struct TestModerator {
    id: u64,
    token: String,
    body: Value,
}

async fn add_moderator(app: &TestApp, room: &TestRoom, body: Value) -> Response {
    app.owner(
        Method::POST,
        &format!("/api/v1/rooms/{}/moderators", room.slug),
        &room.owner_token,
        Some(body),
    )
    .await
}

async fn moderator(app: &TestApp, room: &TestRoom, label: &str) -> TestModerator {
    let response = add_moderator(app, room, json!({ "label": label })).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    TestModerator {
        id: body["id"].as_u64().unwrap(),
        token: body["token"].as_str().unwrap().to_owned(),
        body,
    }
}

async fn listed_labels(app: &TestApp, room: &TestRoom) -> Vec<String> {
    let response = app
        .owner(
            Method::GET,
            &format!("/api/v1/rooms/{}/moderators", room.slug),
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["moderators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            assert!(m.get("token").is_none(), "a listing never shows tokens: {m}");
            m["label"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn post(app: &TestApp, slug: &str, body: &str) -> u64 {
    let response = app.post_message(slug, "Ada", body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_u64().unwrap()
}

#[tokio::test]
async fn the_owner_adds_lists_and_revokes_moderators() {
    let app = spawn_app().await;
    let room = app.create_room("co-mods").await;
    let ada = moderator(&app, &room, "  Ada ").await;
    assert_eq!(ada.body["label"], "Ada");
    assert_eq!(ada.token.len(), 43, "256 bits in unpadded base64url");
    assert_eq!(
        ada.body["link"],
        format!("http://127.0.0.1:8080/r/co-mods/moderate#{}", ada.token),
        "the token rides in the fragment"
    );
    assert!(ada.body["created_at"].as_str().unwrap().ends_with('Z'));
    let unnamed: Value = add_moderator(&app, &room, json!({})).await.json().await.unwrap();
    assert_eq!(unnamed["label"], "Moderator 2");
    assert_ne!(unnamed["token"], ada.body["token"]);
    assert_eq!(listed_labels(&app, &room).await, ["Ada", "Moderator 2"]);

    let revoke = format!("/api/v1/rooms/co-mods/moderators/{}", ada.id);
    let revoked = app.owner(Method::DELETE, &revoke, &room.owner_token, None).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let again = app.owner(Method::DELETE, &revoke, &room.owner_token, None).await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT, "revoking twice changes nothing");
    assert_eq!(listed_labels(&app, &room).await, ["Moderator 2"]);
    let third: Value = add_moderator(&app, &room, json!({"label": " "}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        third["label"], "Moderator 3",
        "a revoked moderator's number is not reused"
    );

    let unknown = app
        .owner(
            Method::DELETE,
            "/api/v1/rooms/co-mods/moderators/999999",
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_code(unknown).await, "moderator_not_found");
    let other_room = app.create_room("co-mods-other").await;
    let theirs = moderator(&app, &other_room, "Bob").await;
    let elsewhere = app
        .owner(
            Method::DELETE,
            &format!("/api/v1/rooms/co-mods/moderators/{}", theirs.id),
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND, "another room's moderator");

    let log = app.audit(&room).await;
    let ada_name = format!("moderator:{} (Ada)", ada.id);
    assert_eq!(
        log[..2],
        [
            ("owner".to_owned(), "add_moderator".to_owned(), ada_name.clone()),
            (
                "owner".to_owned(),
                "add_moderator".to_owned(),
                format!("moderator:{} (Moderator 2)", unnamed["id"])
            ),
        ]
    );
    assert_eq!(log[2], ("owner".to_owned(), "revoke_moderator".to_owned(), ada_name));
    assert_eq!(log.len(), 4, "the second revoke is not logged: {log:?}");
    app.stop().await;
}

#[tokio::test]
async fn moderator_requests_are_checked_and_refusals_keep_everything() {
    let app = spawn_app().await;
    let room = app.create_room("co-mods-rules").await;
    let ada = moderator(&app, &room, "Ada").await;
    let participant = app.join("co-mods-rules", None).await;
    let path = "/api/v1/rooms/co-mods-rules/moderators";
    for (who, token) in [
        ("a moderator", ada.token.as_str()),
        ("a participant", participant.token.as_str()),
        ("nobody", "made-up"),
    ] {
        for (method, path, body) in [
            (Method::POST, path.to_owned(), Some(json!({"label": "Mallory"}))),
            (Method::GET, path.to_owned(), None),
            (Method::DELETE, format!("{path}/{}", ada.id), None),
        ] {
            let response = app.owner(method.clone(), &path, token, body).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{who}: {method} {path}");
            assert_eq!(error_code(response).await, "not_owner");
        }
    }
    for (body, code) in [
        (json!({"label": "x".repeat(51)}), "invalid_label"),
        (json!({"label": "evil\u{202E}label"}), "invalid_label"),
        (json!({"label": 7}), "invalid_request"),
        (json!({"name": "Bob"}), "invalid_request"),
    ] {
        let response = add_moderator(&app, &room, body.clone()).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error_code(response).await, code, "{body}");
    }
    for n in 2..=20 {
        moderator(&app, &room, &format!("M{n}")).await;
    }
    let too_many = add_moderator(&app, &room, json!({})).await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_code(too_many).await, "too_many_moderators");
    assert_eq!(listed_labels(&app, &room).await.len(), 20, "nothing was added");
    app.owner(Method::DELETE, &format!("{path}/{}", ada.id), &room.owner_token, None)
        .await;
    assert_eq!(
        add_moderator(&app, &room, json!({})).await.status(),
        StatusCode::CREATED,
        "revoking one makes room for another"
    );

    app.owner(
        Method::POST,
        "/api/v1/rooms/co-mods-rules/close",
        &room.owner_token,
        None,
    )
    .await;
    let closed = add_moderator(&app, &room, json!({})).await;
    assert_eq!(closed.status(), StatusCode::GONE);
    assert_eq!(error_code(closed).await, "room_closed");
    app.stop().await;
}

#[tokio::test]
async fn a_moderator_moderates_and_the_audit_log_names_them() {
    let app = spawn_app().await;
    let room = app.create_room("co-mods-work").await;
    let ada = moderator(&app, &room, "Ada").await;
    let as_ada = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        let token = ada.token.clone();
        async move { app.owner(method, &path, &token, body).await }
    };
    let question = post(&app, "co-mods-work", "Why is the sky blue?").await;
    let spam = post(&app, "co-mods-work", "buy now").await;
    app.patch_room(&room, json!({"moderation": "approve"})).await;
    let waiting = post(&app, "co-mods-work", "please show me").await;
    let unwanted = post(&app, "co-mods-work", "please hide me").await;
    let base = "/api/v1/rooms/co-mods-work";

    let pending = as_ada(Method::GET, format!("{base}/pending"), None).await;
    assert_eq!(pending.status(), StatusCode::OK);
    assert_eq!(
        pending.json::<Value>().await.unwrap()["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let steps = [
        (
            Method::DELETE,
            format!("{base}/messages/{spam}"),
            None,
            StatusCode::NO_CONTENT,
        ),
        (
            Method::POST,
            format!("{base}/messages/{waiting}/approve"),
            None,
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("{base}/messages/{unwanted}/reject"),
            None,
            StatusCode::OK,
        ),
        (
            Method::PATCH,
            format!("{base}/messages/{question}"),
            Some(json!({"answered": true, "pinned": true})),
            StatusCode::OK,
        ),
        (
            Method::POST,
            format!("{base}/mutes"),
            Some(json!({"participant_id": "troll-1"})),
            StatusCode::NO_CONTENT,
        ),
        (
            Method::DELETE,
            format!("{base}/mutes/troll-1"),
            None,
            StatusCode::NO_CONTENT,
        ),
        (Method::GET, format!("{base}/audit"), None, StatusCode::OK),
    ];
    for (method, path, body, status) in steps {
        let response = as_ada(method.clone(), path.clone(), body).await;
        assert_eq!(
            response.status(),
            status,
            "{method} {path}: {}",
            response.text().await.unwrap()
        );
    }

    let bodies: Vec<String> = app.messages("co-mods-work", "").await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies, ["Why is the sky blue?", "please show me"]);
    let ada_name = format!("moderator:{} (Ada)", ada.id);
    let by_ada: Vec<(String, String)> = app
        .audit(&room)
        .await
        .into_iter()
        .filter(|(actor, _, _)| *actor == ada_name)
        .map(|(_, action, target)| (action, target))
        .collect();
    let expected = [
        ("delete", format!("message:{spam}")),
        ("approve", format!("message:{waiting}")),
        ("reject", format!("message:{unwanted}")),
        ("answer", format!("message:{question}")),
        ("pin", format!("message:{question}")),
        ("mute", "participant:troll-1".to_owned()),
        ("unmute", "participant:troll-1".to_owned()),
    ]
    .map(|(action, target)| (action.to_owned(), target));
    assert_eq!(by_ada, expected);
    app.stop().await;
}

#[tokio::test]
async fn a_moderator_cannot_run_the_room() {
    let app = spawn_app().await;
    let room = app.create_room("co-mods-limits").await;
    let ada = moderator(&app, &room, "Ada").await;
    let poll: Value = app
        .owner(
            Method::POST,
            "/api/v1/rooms/co-mods-limits/polls",
            &room.owner_token,
            Some(json!({"question": "Tea?", "options": ["Yes", "No"]})),
        )
        .await
        .json()
        .await
        .unwrap();
    let base = "/api/v1/rooms/co-mods-limits";
    let attempts = [
        (Method::PATCH, base.to_owned(), Some(json!({"topic": "mine now"}))),
        (Method::PATCH, base.to_owned(), Some(json!({"state": "paused"}))),
        (Method::PATCH, base.to_owned(), Some(json!({"slow_mode_seconds": 60}))),
        (Method::PATCH, base.to_owned(), Some(json!({"hashtags": ["spam"]}))),
        (Method::PATCH, base.to_owned(), Some(json!({"moderation": "approve"}))),
        (Method::PATCH, base.to_owned(), Some(json!({"blocked_words": []}))),
        (Method::POST, format!("{base}/close"), None),
        (Method::POST, format!("{base}/owner_token"), None),
        (
            Method::POST,
            format!("{base}/polls"),
            Some(json!({"question": "Coffee?", "options": ["Yes", "No"]})),
        ),
        (Method::POST, format!("{base}/polls/{}/close", poll["id"]), None),
        (Method::POST, format!("{base}/moderators"), Some(json!({}))),
    ];
    for (method, path, body) in attempts {
        let response = app.owner(method.clone(), &path, &ada.token, body.clone()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path} {body:?}");
        assert_eq!(error_code(response).await, "not_owner", "{method} {path}");
    }
    let seen: Value = app
        .client
        .get(app.url(base))
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen["state"], "open");
    assert_eq!(seen["topic"], "");
    assert_eq!(seen["slow_mode_seconds"], 0);
    assert!(
        seen.get("blocked_words").is_none(),
        "the word filter is the owner's: {seen}"
    );
    let polls: Value = app.get(&format!("{base}/polls")).await.json().await.unwrap();
    assert_eq!(polls["polls"].as_array().unwrap().len(), 1);
    assert_eq!(polls["polls"][0]["state"], "open");
    let owner_still = app.patch_room(&room, json!({"topic": "still mine"})).await;
    assert_eq!(owner_still.status(), StatusCode::OK, "the owner token was not rotated");
    let log = app.audit(&room).await;
    assert!(
        log.iter().all(|(actor, _, _)| !actor.starts_with("moderator:")),
        "nothing was done in the moderator's name: {log:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_moderator_is_refused_at_once_and_tokens_stay_in_their_room() {
    let app = spawn_app().await;
    let room = app.create_room("co-mods-revoked").await;
    app.create_room("co-mods-else").await;
    let ada = moderator(&app, &room, "Ada").await;
    let first = post(&app, "co-mods-revoked", "one").await;
    let second = post(&app, "co-mods-revoked", "two").await;
    let elsewhere = post(&app, "co-mods-else", "not yours").await;

    let wrong_room = app
        .owner(
            Method::DELETE,
            &format!("/api/v1/rooms/co-mods-else/messages/{elsewhere}"),
            &ada.token,
            None,
        )
        .await;
    assert_eq!(wrong_room.status(), StatusCode::FORBIDDEN, "a token of another room");
    let deleted = app
        .owner(
            Method::DELETE,
            &format!("/api/v1/rooms/co-mods-revoked/messages/{first}"),
            &ada.token,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    app.owner(
        Method::DELETE,
        &format!("/api/v1/rooms/co-mods-revoked/moderators/{}", ada.id),
        &room.owner_token,
        None,
    )
    .await;
    let refused = app
        .owner(
            Method::DELETE,
            &format!("/api/v1/rooms/co-mods-revoked/messages/{second}"),
            &ada.token,
            None,
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(refused).await, "not_owner");
    let bodies: Vec<String> = app.messages("co-mods-revoked", "").await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(bodies, ["two"]);
    let kept: Vec<String> = app.messages("co-mods-else", "").await["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kept, ["not yours"]);
    app.stop().await;
}

/// A client that does not follow redirects (the form posts answer 303).
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn set_cookie_value(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
}

/// The owner page adds a moderator and shows the link once, lists them, and revokes them.
#[tokio::test]
async fn the_owner_page_adds_shows_the_link_once_and_revokes() {
    let app = spawn_app().await;
    let room = app.create_room("co-mods-owner-page").await;
    let client = plain_client();
    let owner_cookie = format!("tm_owner_{}={}", room.id, room.owner_token);

    let added = client
        .post(app.url("/r/co-mods-owner-page/owner/moderators"))
        .header("Cookie", &owner_cookie)
        .form(&[("label", "Ada")])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        added.headers()["location"],
        "/r/co-mods-owner-page/owner/moderators/new"
    );
    let link = set_cookie_value(&added, "tm_flash_moderator").expect("the link, for one showing");
    assert!(link.contains("/r/co-mods-owner-page/moderate#"), "{link}");
    let shown = client
        .get(app.url("/r/co-mods-owner-page/owner/moderators/new"))
        .header("Cookie", format!("{owner_cookie}; tm_flash_moderator={link}"))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    assert_eq!(
        set_cookie_value(&shown, "tm_flash_moderator").as_deref(),
        Some(""),
        "shown once"
    );
    let token = link.rsplit_once('#').unwrap().1;
    assert!(shown.text().await.unwrap().contains(token), "the link is on the page");
    let not_for_others = client
        .get(app.url("/r/co-mods-owner-page/owner/moderators/new"))
        .header("Cookie", format!("tm_flash_moderator={link}"))
        .send()
        .await
        .unwrap();
    assert_eq!(not_for_others.status(), StatusCode::FORBIDDEN, "the owner's eyes only");

    let controls = client
        .get(app.url("/r/co-mods-owner-page/owner"))
        .header("Cookie", &owner_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(controls.contains("Revoke Ada"), "{controls}");
    let id = listed_ids(&app, &room).await[0];
    let revoked = client
        .post(app.url(&format!("/r/co-mods-owner-page/owner/moderators/{id}/revoke")))
        .header("Cookie", &owner_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert!(listed_ids(&app, &room).await.is_empty());

    let refused = client
        .post(app.url("/r/co-mods-owner-page/owner/moderators"))
        .header("Cookie", &owner_cookie)
        .form(&[("label", "x".repeat(51))])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("labels are at most 50 characters"));
    app.stop().await;
}

async fn listed_ids(app: &TestApp, room: &TestRoom) -> Vec<u64> {
    let body: Value = app
        .owner(
            Method::GET,
            &format!("/api/v1/rooms/{}/moderators", room.slug),
            &room.owner_token,
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    body["moderators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect()
}

/// The moderator link signs its holder in to a page with the queue and the message actions,
/// without the owner's settings, close or polls; the owner's routes stay closed to them.
#[tokio::test]
async fn the_moderator_page_signs_in_moderates_and_offers_nothing_of_the_owner() {
    let app = spawn_app().await;
    let room = app.create_room("co-mods-page").await;
    let ada = moderator(&app, &room, "Ada").await;
    let keep = post(&app, "co-mods-page", "a fine question").await;
    let spam = post(&app, "co-mods-page", "buy now").await;
    let client = plain_client();
    let cookie_name = format!("tm_mod_{}", room.id);

    let anonymous = client.get(app.url("/r/co-mods-page/moderate")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    assert!(anonymous
        .text()
        .await
        .unwrap()
        .contains("action=\"/r/co-mods-page/moderate/sign-in\""));
    for not_a_moderator in [room.owner_token.as_str(), "made-up"] {
        let refused = client
            .post(app.url("/r/co-mods-page/moderate/sign-in"))
            .form(&[("token", not_a_moderator)])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(set_cookie_value(&refused, &cookie_name), None);
    }
    let signed_in = client
        .post(app.url("/r/co-mods-page/moderate/sign-in"))
        .form(&[("token", ada.token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/r/co-mods-page/moderate");
    let token = set_cookie_value(&signed_in, &cookie_name).expect("the moderator cookie");
    let cookie = format!("{cookie_name}={token}");

    let room_page = |cookie: Option<String>| {
        let mut request = client.get(app.url("/r/co-mods-page"));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let link = "href=\"/r/co-mods-page/moderate\"";
    let as_moderator = room_page(Some(cookie.clone())).await;
    assert!(as_moderator.contains(link), "the room page links the moderator page");
    // The owner's buttons on each message, and in the template live messages get, on the
    // moderator's routes.
    let button = format!("/r/co-mods-page/moderate/messages/{keep}/delete?from=room");
    assert!(as_moderator.contains(&button), "{as_moderator}");
    assert!(as_moderator.contains("/r/co-mods-page/moderate/messages/{id}/delete?from=room"));
    assert!(
        !as_moderator.contains("/owner/messages/"),
        "no owner routes for a moderator"
    );
    let as_anyone = room_page(None).await;
    assert!(
        !as_anyone.contains(link) && !as_anyone.contains("/moderate/messages/"),
        "only for a moderator"
    );
    let page = client
        .get(app.url("/r/co-mods-page/moderate"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("a fine question") && page.contains("buy now"), "{page}");
    assert!(page.contains(&format!("/r/co-mods-page/moderate/messages/{spam}/delete")));
    for owner_only in [
        "/owner/settings",
        "/owner/close",
        "/owner/polls",
        "/owner/rotate",
        "/owner/moderators",
    ] {
        assert!(!page.contains(owner_only), "the moderator page offers {owner_only}");
    }

    let deleted = client
        .post(app.url(&format!("/r/co-mods-page/moderate/messages/{spam}/delete")))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::SEE_OTHER);
    let muted = client
        .post(app.url(&format!("/r/co-mods-page/moderate/messages/{keep}/mute?from=room")))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(muted.status(), StatusCode::SEE_OTHER);
    assert_eq!(muted.headers()["location"], "/r/co-mods-page", "back to the room page");
    let page = client
        .get(app.url("/r/co-mods-page/moderate"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("buy now"), "deleted");
    assert!(
        page.contains(&format!("/r/co-mods-page/moderate/messages/{keep}/unmute")),
        "muted"
    );
    assert!(
        page.contains(&format!("moderator:{} (Ada)", ada.id)),
        "the log names Ada"
    );

    // The owner's routes do not take the moderator's cookie (nor their token as an owner cookie).
    for cookie in [cookie.clone(), format!("tm_owner_{}={}", room.id, ada.token)] {
        let close = client
            .post(app.url("/r/co-mods-page/owner/close"))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(close.status(), StatusCode::FORBIDDEN, "{cookie}");
    }
    let room_now: Value = app.get("/api/v1/rooms/co-mods-page").await.json().await.unwrap();
    assert_eq!(room_now["state"], "open");

    app.owner(
        Method::DELETE,
        &format!("/api/v1/rooms/co-mods-page/moderators/{}", ada.id),
        &room.owner_token,
        None,
    )
    .await;
    let after = client
        .get(app.url("/r/co-mods-page/moderate"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::FORBIDDEN, "revoked: the sign-in form again");
    assert!(
        !room_page(Some(cookie.clone())).await.contains(link),
        "revoked: no link"
    );
    let action = client
        .post(app.url(&format!("/r/co-mods-page/moderate/messages/{keep}/delete")))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(action.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.messages("co-mods-page", "").await["messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.stop().await;
}
