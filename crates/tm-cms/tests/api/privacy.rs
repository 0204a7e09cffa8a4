//! Private means private, deleted means gone (issue 13): every room-scoped route of a password
//! room checks the caller's credential, API posts carry the identity of their join token, the
//! participant cookie cannot be chosen by the client, and a deleted message is on no read path.

use diesel::sql_types::{BigInt, Text, Unsigned};
use diesel::QueryableByName;
use diesel_async::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tm_cms::engine::speaker_colors::speaker_color;

use crate::helpers::{error_code, spawn_app, spawn_app_with, Options, TestApp, TestRoom};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cred {
    None,
    /// A valid join token, but of another room.
    OtherRoom,
    /// The join token of this room.
    Member,
    Owner,
}

const CREDS: [Cred; 4] = [Cred::None, Cred::OtherRoom, Cred::Member, Cred::Owner];

struct Bearers {
    other_room: String,
    member: String,
    owner: String,
}

impl Bearers {
    fn of(&self, cred: Cred) -> Option<&str> {
        match cred {
            Cred::None => None,
            Cred::OtherRoom => Some(&self.other_room),
            Cred::Member => Some(&self.member),
            Cred::Owner => Some(&self.owner),
        }
    }
}

enum Body {
    Empty,
    Json(Value),
    Form(Vec<(&'static str, String)>),
}

/// One room-scoped route and its expected status for [`CREDS`], in that order.
struct Route {
    method: Method,
    path: String,
    body: Body,
    expect: [u16; 4],
    /// Whether an allowed answer shows the room's messages.
    shows_messages: bool,
}

fn route(method: Method, path: String, body: Body, expect: [u16; 4], shows_messages: bool) -> Route {
    Route {
        method,
        path,
        body,
        expect,
        shows_messages,
    }
}

/// A client that does not follow redirects (the form posts answer 303).
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn call(app: &TestApp, client: &reqwest::Client, route: &Route, bearer: Option<&str>) -> (u16, String) {
    let mut request = client.request(route.method.clone(), app.url(&route.path));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request = match &route.body {
        Body::Empty => request,
        Body::Json(value) => request.json(value),
        Body::Form(fields) => request.form(fields),
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Every read route that shows a room's messages, with the same expectation for all of them.
fn read_routes(slug: &str, expect: [u16; 4]) -> Vec<Route> {
    let mut routes = vec![
        route(
            Method::GET,
            format!("/api/v1/rooms/{slug}/messages?after=0"),
            Body::Empty,
            expect,
            true,
        ),
        route(
            Method::GET,
            format!("/api/v1/rooms/{slug}/events?after=0"),
            Body::Empty,
            expect,
            true,
        ),
        route(Method::GET, format!("/r/{slug}"), Body::Empty, expect, true),
        route(Method::GET, format!("/r/{slug}/projector"), Body::Empty, expect, true),
        route(Method::GET, format!("/r/{slug}/embed"), Body::Empty, expect, true),
        route(Method::GET, format!("/r/{slug}/transcript"), Body::Empty, expect, true),
    ];
    for format in ["txt", "json", "csv"] {
        routes.push(route(
            Method::GET,
            format!("/r/{slug}/transcript.{format}"),
            Body::Empty,
            expect,
            true,
        ));
    }
    routes
}

/// Owner-only routes: 403 for everyone else, `owner` for the owner.
fn owner_routes(slug: &str, message_id: u64) -> Vec<Route> {
    let only = |owner: u16| [403, 403, 403, owner];
    vec![
        route(
            Method::GET,
            format!("/api/v1/rooms/{slug}/pending"),
            Body::Empty,
            only(200),
            false,
        ),
        route(
            Method::GET,
            format!("/api/v1/rooms/{slug}/audit"),
            Body::Empty,
            only(200),
            false,
        ),
        route(Method::GET, format!("/r/{slug}/owner"), Body::Empty, only(200), true),
        route(
            Method::PATCH,
            format!("/api/v1/rooms/{slug}"),
            Body::Json(json!({"topic": "still private"})),
            only(200),
            false,
        ),
        route(
            Method::POST,
            format!("/api/v1/rooms/{slug}/mutes"),
            Body::Json(json!({"participant_id": "someone"})),
            only(204),
            false,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/rooms/{slug}/mutes/someone"),
            Body::Empty,
            only(204),
            false,
        ),
        // The owner passes the check; the message is simply not pending.
        route(
            Method::POST,
            format!("/api/v1/rooms/{slug}/messages/{message_id}/approve"),
            Body::Empty,
            only(409),
            false,
        ),
        route(
            Method::POST,
            format!("/api/v1/rooms/{slug}/messages/{message_id}/reject"),
            Body::Empty,
            only(409),
            false,
        ),
    ]
}

async fn post_as_owner(app: &TestApp, room: &TestRoom, body: &str) -> u64 {
    let response = app
        .owner(
            Method::POST,
            &format!("/api/v1/rooms/{}/messages", room.slug),
            &room.owner_token,
            Some(json!({"nickname": "Owner", "body": body})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"].as_u64().unwrap()
}

#[tokio::test]
async fn every_route_of_a_password_room_checks_the_credential() {
    let app = spawn_app().await;
    let vault = app
        .create_room_from(json!({"name": "vault", "lifetime": "2h", "password": "open sesame"}))
        .await;
    app.create_room_from(json!({"name": "elsewhere", "lifetime": "2h", "password": "other"}))
        .await;
    let secret_id = post_as_owner(&app, &vault, "the vault secret text").await;
    let bearers = Bearers {
        other_room: app.join("elsewhere", Some("other")).await.token,
        member: app.join("vault", Some("open sesame")).await.token,
        owner: vault.owner_token.clone(),
    };
    let client = plain_client();

    let mut routes = read_routes("vault", [401, 403, 200, 200]);
    routes.extend([
        route(
            Method::POST,
            "/api/v1/rooms/vault/messages".into(),
            Body::Json(json!({"nickname": "Mallory", "body": "let me in"})),
            [401, 403, 201, 201],
            false,
        ),
        route(
            Method::POST,
            "/r/vault/messages".into(),
            Body::Form(vec![("nickname", "Mallory".into()), ("body", "let me in".into())]),
            [401, 403, 303, 303],
            false,
        ),
        route(
            Method::POST,
            "/r/vault/token".into(),
            Body::Empty,
            [401, 403, 200, 200],
            false,
        ),
        // Joining without the password: a member renews, the owner is let in.
        route(
            Method::POST,
            "/api/v1/rooms/vault/join".into(),
            Body::Json(json!({})),
            [401, 403, 200, 200],
            false,
        ),
    ]);
    routes.extend(owner_routes("vault", secret_id));
    let owner_only = |owner: u16| [403, 403, 403, owner];
    routes.extend([
        // The room's settings stay readable: a client learns from them that it needs the password.
        route(Method::GET, "/api/v1/rooms/vault".into(), Body::Empty, [200; 4], false),
        route(
            Method::POST,
            "/r/vault/owner/pause".into(),
            Body::Empty,
            owner_only(303),
            false,
        ),
        route(
            Method::POST,
            "/r/vault/owner/resume".into(),
            Body::Empty,
            owner_only(303),
            false,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/rooms/vault/messages/{secret_id}"),
            Body::Empty,
            owner_only(204),
            false,
        ),
        // Last: they end the room's life as the walk knows it.
        route(
            Method::POST,
            "/api/v1/rooms/vault/close".into(),
            Body::Empty,
            owner_only(200),
            false,
        ),
        route(
            Method::POST,
            "/api/v1/rooms/vault/owner_token".into(),
            Body::Empty,
            owner_only(200),
            false,
        ),
    ]);

    let mut failures = Vec::new();
    for route in &routes {
        for (cred, expected) in CREDS.iter().zip(route.expect) {
            let (status, body) = call(&app, &client, route, bearers.of(*cred)).await;
            if status != expected {
                failures.push(format!(
                    "{} {} as {cred:?}: {status}, expected {expected}",
                    route.method, route.path
                ));
            }
            if status >= 400 && body.contains("vault secret text") {
                failures.push(format!(
                    "{} {} as {cred:?} refused but leaked the text",
                    route.method, route.path
                ));
            }
            if route.shows_messages
                && (200..300).contains(&status)
                && route.method == Method::GET
                && !body.contains("vault secret text")
            {
                failures.push(format!(
                    "{} {} as {cred:?} allowed but shows no messages",
                    route.method, route.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The typed codes of the JSON API.
    let none = app.get("/api/v1/rooms/vault/events?after=0").await;
    assert_eq!(error_code(none).await, "password_required");
    let other = app
        .client
        .get(app.url("/api/v1/rooms/vault/messages?after=0"))
        .bearer_auth(&bearers.other_room)
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(other).await, "not_member");
    app.stop().await;
}

#[tokio::test]
async fn page_cookies_open_only_their_own_password_room() {
    let app = spawn_app().await;
    let vault = app
        .create_room_from(json!({"name": "cookie-vault", "lifetime": "2h", "password": "pw-one"}))
        .await;
    let other = app
        .create_room_from(json!({"name": "cookie-other", "lifetime": "2h", "password": "pw-two"}))
        .await;
    post_as_owner(&app, &vault, "cookie vault text").await;
    let client = plain_client();
    let unlocked = client
        .post(app.url("/r/cookie-other/unlock"))
        .form(&[("password", "pw-two")])
        .send()
        .await
        .unwrap();
    assert_eq!(unlocked.status(), StatusCode::SEE_OTHER);
    let other_access = set_cookie_value(&unlocked, &format!("tm_access_{}", other.id)).unwrap();
    let unlocked = client
        .post(app.url("/r/cookie-vault/unlock"))
        .form(&[("password", "pw-one")])
        .send()
        .await
        .unwrap();
    let vault_access = set_cookie_value(&unlocked, &format!("tm_access_{}", vault.id)).unwrap();

    for path in [
        "/r/cookie-vault",
        "/r/cookie-vault/transcript.txt",
        "/r/cookie-vault/embed",
    ] {
        let moved = client
            .get(app.url(path))
            .header("Cookie", format!("tm_access_{}={other_access}", vault.id))
            .send()
            .await
            .unwrap();
        assert_eq!(moved.status(), StatusCode::UNAUTHORIZED, "{path}: another room's proof");
        assert!(!moved.text().await.unwrap().contains("cookie vault text"));
        for cookie in [
            format!("tm_access_{}={vault_access}", vault.id),
            format!("tm_owner_{}={}", vault.id, vault.owner_token),
        ] {
            let allowed = client.get(app.url(path)).header("Cookie", cookie).send().await.unwrap();
            assert_eq!(allowed.status(), StatusCode::OK, "{path}");
            assert!(allowed.text().await.unwrap().contains("cookie vault text"));
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_public_room_shows_a_deleted_message_on_no_read_path() {
    let app = spawn_app().await;
    let room = app.create_room("open-house").await;
    app.create_room("next-door").await;
    post_as_owner(&app, &room, "keep this text").await;
    let doomed = post_as_owner(&app, &room, "regrettable deleted text").await;
    let doomed_seq = app.messages("open-house", "").await["messages"][1]["seq"]
        .as_u64()
        .unwrap();
    let deleted = app
        .owner(
            Method::DELETE,
            &format!("/api/v1/rooms/open-house/messages/{doomed}"),
            &room.owner_token,
            None,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let bearers = Bearers {
        other_room: app.join("next-door", None).await.token,
        member: app.join("open-house", None).await.token,
        owner: room.owner_token.clone(),
    };
    let client = plain_client();
    let mut routes = read_routes("open-house", [200, 200, 200, 200]);
    routes.extend(owner_routes("open-house", doomed));

    let mut failures = Vec::new();
    for route in &routes {
        for (cred, expected) in CREDS.iter().zip(route.expect) {
            let (status, body) = call(&app, &client, route, bearers.of(*cred)).await;
            if status != expected {
                failures.push(format!(
                    "{} {} as {cred:?}: {status}, expected {expected}",
                    route.method, route.path
                ));
            }
            if body.contains("regrettable") {
                failures.push(format!(
                    "{} {} as {cred:?} still shows the deleted text",
                    route.method, route.path
                ));
            }
            if route.shows_messages && status == 200 && !body.contains("keep this text") {
                failures.push(format!(
                    "{} {} as {cred:?} lost the other message",
                    route.method, route.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The replayable log keeps the seq, with the data shrunk to the id.
    let events = app.events("open-house", "?after=0").await;
    let created = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["seq"] == doomed_seq)
        .expect("the deleted message's seq is still in the log")
        .clone();
    assert_eq!(created["event"], "message.created");
    assert_eq!(created["data"]["id"], doomed);
    assert_eq!(created["data"]["deleted"], true);
    assert!(created["data"].get("body").is_none(), "{created}");
    assert!(created["data"].get("nickname").is_none(), "{created}");
    app.stop().await;
}

#[derive(QueryableByName)]
struct StoredAuthor {
    #[diesel(sql_type = Text)]
    participant_id: String,
    #[diesel(sql_type = Text)]
    color: String,
}

async fn author_of(app: &TestApp, message_id: u64) -> StoredAuthor {
    diesel::sql_query("SELECT participant_id, color FROM messages WHERE id = ?")
        .bind::<Unsigned<BigInt>, _>(message_id)
        .get_result(&mut app.db().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn api_posts_carry_the_identity_of_their_join_token() {
    // Sixteen participants post 19 times from the one address tests have; the per-address limit
    // (burst 10) would refuse the last ones, and it is not what this test is about.
    let app = spawn_app_with(Options {
        tweak: Some(Box::new(|s| s.posting.burst = 20)),
        ..Options::default()
    })
    .await;
    let room = app.create_room("sixteen").await;
    let mut ids = std::collections::HashSet::new();
    let mut colours = std::collections::HashSet::new();
    let mut participants = Vec::new();
    for n in 0..16 {
        let participant = app.join("sixteen", None).await;
        let response = app
            .post_as(
                &participant,
                "sixteen",
                json!({"nickname": format!("P{n}"), "body": "hello"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let message: Value = response.json().await.unwrap();
        let stored = author_of(&app, message["id"].as_u64().unwrap()).await;
        assert_eq!(
            stored.participant_id, participant.id,
            "the post is the token's participant's"
        );
        assert_eq!(message["color"], speaker_color(&participant.id));
        assert_eq!(stored.color, speaker_color(&participant.id));
        ids.insert(stored.participant_id);
        colours.insert(stored.color);
        participants.push(participant);
    }
    assert_eq!(ids.len(), 16, "sixteen tokens from one address are sixteen people");
    assert!(colours.len() > 1, "{colours:?}");

    // A mute follows the person, not the address they share.
    let muted = app
        .owner(
            Method::POST,
            "/api/v1/rooms/sixteen/mutes",
            &room.owner_token,
            Some(json!({"participant_id": participants[0].id})),
        )
        .await;
    assert_eq!(muted.status(), StatusCode::NO_CONTENT);
    let refused = app
        .post_as(&participants[0], "sixteen", json!({"nickname": "P0", "body": "again"}))
        .await;
    assert_eq!(error_code(refused).await, "muted");
    let neighbour = app
        .post_as(&participants[1], "sixteen", json!({"nickname": "P1", "body": "again"}))
        .await;
    assert_eq!(neighbour.status(), StatusCode::CREATED);

    // Without a token the identity stays address-derived.
    let anonymous: Value = app.post_message("sixteen", "Anon", "hi").await.json().await.unwrap();
    let stored = author_of(&app, anonymous["id"].as_u64().unwrap()).await;
    assert!(stored.participant_id.starts_with("ip-"), "{}", stored.participant_id);
    app.stop().await;
}

/// The value a response sets for cookie `name`.
fn set_cookie_value(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
}

async fn page_token(app: &TestApp, cookie: Option<&str>) -> (String, Option<String>) {
    let mut request = app.client.post(app.url("/r/pid-room/token"));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let issued = set_cookie_value(&response, "tm_pid");
    let body: Value = response.json().await.unwrap();
    (body["participant_id"].as_str().unwrap().to_owned(), issued)
}

#[tokio::test]
async fn a_participant_cookie_the_client_made_up_is_ignored() {
    let app = spawn_app().await;
    app.create_room("pid-room").await;

    let (forged_id, issued) = page_token(&app, Some("tm_pid=i-chose-this-id")).await;
    assert_ne!(forged_id, "i-chose-this-id", "an unsigned cookie mints nothing");
    let issued = issued.expect("a fresh signed cookie replaces the forged one");

    let (again, reissued) = page_token(&app, Some(&format!("tm_pid={issued}"))).await;
    assert_eq!(again, forged_id, "the signed cookie keeps the browser's identity");
    assert_eq!(reissued, None);

    // Editing the signed value (another id under the same signature) is refused too.
    let mut parts: Vec<&str> = issued.split('.').collect();
    let edited_payload = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, "i-chose-this-id");
    parts[0] = &edited_payload;
    let (edited, _) = page_token(&app, Some(&format!("tm_pid={}", parts.join(".")))).await;
    assert_ne!(edited, "i-chose-this-id");
    assert_ne!(edited, forged_id);

    // The API ignores a made-up cookie as well.
    let posted: Value = app
        .client
        .post(app.url("/api/v1/rooms/pid-room/messages"))
        .header("Cookie", "tm_pid=i-chose-this-id")
        .json(&json!({"nickname": "Eve", "body": "hi"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stored = author_of(&app, posted["id"].as_u64().unwrap()).await;
    assert_ne!(stored.participant_id, "i-chose-this-id");
    app.stop().await;
}

async fn create_through_form(app: &TestApp, client: &reqwest::Client, name: &str) -> String {
    let created = client
        .post(app.url("/rooms"))
        .form(&[("name", name), ("lifetime", "2h")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    set_cookie_value(&created, "tm_flash_owner").expect("the owner link, shown once")
}

#[tokio::test]
async fn the_owner_link_keeps_the_token_out_of_the_query_string() {
    let app = spawn_app().await;
    let client = plain_client();
    let link = create_through_form(&app, &client, "linked").await;
    let (path, token) = link.split_once('#').expect("the token travels in the URL fragment");
    assert!(path.ends_with("/r/linked/owner"), "{link}");
    assert!(!link.contains('?'), "nothing in the query string: {link}");
    let room: Value = app.get("/api/v1/rooms/linked").await.json().await.unwrap();
    let owner_cookie = format!("tm_owner_{}", room["id"]);

    // A token in the query string is not taken (it would sit in access logs).
    let queried = client
        .get(app.url(&format!("/r/linked/owner?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(queried.status(), StatusCode::FORBIDDEN);
    assert_eq!(set_cookie_value(&queried, &owner_cookie), None);
    let form = queried.text().await.unwrap();
    assert!(
        form.contains("action=\"/r/linked/owner/sign-in\""),
        "the sign-in form: {form}"
    );

    // The page's script posts the fragment; a wrong token gets nothing.
    let wrong = client
        .post(app.url("/r/linked/owner/sign-in"))
        .form(&[("token", "not-the-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert_eq!(set_cookie_value(&wrong, &owner_cookie), None);
    let signed_in = client
        .post(app.url("/r/linked/owner/sign-in"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/r/linked/owner", "a clean URL");
    let cookie = set_cookie_value(&signed_in, &owner_cookie).expect("the owner cookie");
    let controls = client
        .get(app.url("/r/linked/owner"))
        .header("Cookie", format!("{owner_cookie}={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(controls.status(), StatusCode::OK);
    app.stop().await;
}

#[tokio::test]
async fn the_owner_can_rotate_the_owner_token() {
    let app = spawn_app().await;
    let room = app.create_room("rotating").await;
    let path = "/api/v1/rooms/rotating/owner_token";

    let anonymous = app.post_json(path, &json!({})).await;
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN);
    let member = app.join("rotating", None).await;
    let as_member = app.owner(Method::POST, path, &member.token, None).await;
    assert_eq!(error_code(as_member).await, "not_owner");

    let rotated = app.owner(Method::POST, path, &room.owner_token, None).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let new_token = rotated.json::<Value>().await.unwrap()["owner_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_token, room.owner_token);
    let old = app.patch_room(&room, json!({"topic": "old token"})).await;
    assert_eq!(old.status(), StatusCode::FORBIDDEN, "the old token is void");
    assert_eq!(error_code(old).await, "not_owner");
    let new = app
        .owner(
            Method::PATCH,
            "/api/v1/rooms/rotating",
            &new_token,
            Some(json!({"topic": "new"})),
        )
        .await;
    assert_eq!(new.status(), StatusCode::OK);
    let audit: Value = app
        .owner(Method::GET, "/api/v1/rooms/rotating/audit", &new_token, None)
        .await
        .json()
        .await
        .unwrap();
    assert!(audit.to_string().contains("rotate_owner_token"), "{audit}");

    // From the owner page: a new cookie and the new link, shown once; the old cookie is void.
    let client = plain_client();
    let owner_cookie = format!("tm_owner_{}", room.id);
    let from_page = client
        .post(app.url("/r/rotating/owner/rotate"))
        .header("Cookie", format!("{owner_cookie}={new_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(from_page.status(), StatusCode::SEE_OTHER);
    let newest = set_cookie_value(&from_page, &owner_cookie).expect("the new owner cookie");
    let link = set_cookie_value(&from_page, "tm_flash_owner").expect("the new link");
    assert!(link.ends_with(&format!("/r/rotating/owner#{newest}")), "{link}");
    let stale = client
        .get(app.url("/r/rotating/owner"))
        .header("Cookie", format!("{owner_cookie}={new_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::FORBIDDEN);
    let controls = client
        .get(app.url("/r/rotating/owner"))
        .header("Cookie", format!("{owner_cookie}={newest}; tm_flash_owner={link}"))
        .send()
        .await
        .unwrap();
    assert_eq!(controls.status(), StatusCode::OK);
    assert!(
        controls.text().await.unwrap().contains(&newest),
        "the new link is shown once"
    );
    app.stop().await;
}
