//! `spawn_app()`: a real tm-cms on port 0 with its own database `tm_test_<uuid>` on the shared
//! MariaDB and its own name prefix on the shared RabbitMQ; domain-named helpers for arranging
//! and asserting; `stop()` drains the app and drops the database and the broker topology.

use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use tm_bus::{Bus, BusConfig, QueueKind, SubscribeSpec, Subscription, SubscriptionEvent};
use tm_cms::config::{Settings, DEFAULTS};
use tm_cms::startup::Application;
use tm_testkit::{amqp_addr, database_addr, database_url_for, init_test_tracing, unique_prefix, url_via, ChaosProxy};
use tokio::task::JoinHandle;

/// Upper bound for anything a test waits for.
pub const PATIENCE: Duration = Duration::from_secs(30);
pub const JOIN_SECRET: &str = "test-join-secret-0123456789abcdef-0123456789";

/// Changes a test makes to the settings before the app starts.
pub type Tweak = Box<dyn FnOnce(&mut Settings) + Send>;

/// Knobs a test may turn before the app starts.
#[derive(Default)]
pub struct Options {
    /// Put a cuttable proxy between the app and MariaDB.
    pub db_proxy: bool,
    /// Put a cuttable proxy between the app and RabbitMQ.
    pub broker_proxy: bool,
    pub tweak: Option<Tweak>,
}

/// Drops the test's database when the test ends, even if it panicked.
pub struct DatabaseGuard(pub String);

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let name = self.0.clone();
        // Drop runs inside the test's runtime: do the async cleanup on a thread of its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut admin) = AsyncMysqlConnection::establish(&database_url_for("mysql")).await {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
                        .execute(&mut admin)
                        .await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub database: DatabaseGuard,
    /// Direct to MariaDB (bypasses any proxy): for arranging and asserting.
    pub db_url: String,
    /// Direct to RabbitMQ under the test's prefix.
    pub bus: Bus,
    pub db_proxy: Option<ChaosProxy>,
    pub broker_proxy: Option<ChaosProxy>,
    shutdown: tm_runtime::Shutdown,
    server: JoinHandle<Result<(), tm_runtime::ServerError>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    init_test_tracing();
    let db_name = format!("tm_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = AsyncMysqlConnection::establish(&database_url_for("mysql"))
        .await
        .expect("MariaDB reachable");
    diesel::sql_query(format!(
        "CREATE DATABASE {db_name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    // From here on the database is dropped however the test ends.
    let database = DatabaseGuard(db_name.clone());
    let db_url = database_url_for(&db_name);
    let db_proxy = match options.db_proxy {
        true => Some(ChaosProxy::start(database_addr()).await.unwrap()),
        false => None,
    };
    let broker_proxy = match options.broker_proxy {
        true => Some(ChaosProxy::start(amqp_addr()).await.unwrap()),
        false => None,
    };
    let prefix = unique_prefix();
    let sources = tm_runtime::ConfigSources {
        system_file: None,
        environment: false,
        ..tm_runtime::ConfigSources::standard("cms", DEFAULTS, None)
    };
    let mut settings: Settings = tm_runtime::load_config(&sources).unwrap();
    settings.http.bind = "127.0.0.1:0".into();
    settings.http.workers = 1;
    settings.database.url = tm_runtime::Secret::new(match &db_proxy {
        // mysql_async would otherwise switch to the Unix socket and bypass the proxy.
        Some(proxy) => format!("{}?prefer_socket=false", url_via(&db_url, proxy.addr())),
        None => db_url.clone(),
    });
    settings.database.pool_size = 3;
    settings.database.connect_timeout_ms = 1000;
    settings.bus = match &broker_proxy {
        Some(proxy) => BusConfig::for_test_via(&prefix, proxy.addr()),
        None => BusConfig::for_test(&prefix),
    };
    settings.join.secret = tm_runtime::Secret::new(JOIN_SECRET.into());
    settings.relay.poll_interval_ms = 100;
    settings.rooms.sweep_interval_secs = 3600;
    // Tests create rooms in bursts from one address; the creation limit has tests of its own
    // (abuse.rs), which set it back.
    settings.rooms.creates_per_address = 100_000;
    settings.admin.api_token = tm_runtime::Secret::new("test-admin-token".into());
    if let Some(tweak) = options.tweak {
        tweak(&mut settings);
    }
    // Migrations run directly (the app may sit behind a proxy a test cuts later).
    tm_cms::engine::db::migrate(&db_url).await.unwrap();
    settings.database.migrate_on_start = false;
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let shutdown = tm_runtime::Shutdown::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    let direct_config = BusConfig::for_test(&prefix);
    let direct = Bus::connect(&direct_config, "test-direct");
    let bus = tokio::time::timeout(PATIENCE, direct)
        .await
        .expect("RabbitMQ accepts a connection in time")
        .unwrap();
    TestApp {
        address,
        client: reqwest::Client::new(),
        database,
        db_url,
        bus,
        db_proxy,
        broker_proxy,
        shutdown,
        server,
    }
}

/// Someone who joined a room through the API: their join token and the identity it carries.
pub struct Participant {
    pub token: String,
    pub id: String,
}

/// A room as `create_room` returns it.
pub struct TestRoom {
    pub slug: String,
    pub id: u64,
    pub owner_token: String,
    pub body: Value,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Drains the app and removes its database and broker names.
    pub async fn stop(self) {
        self.shutdown.trigger();
        let _ = tokio::time::timeout(PATIENCE, self.server).await;
        let _ = tokio::time::timeout(PATIENCE, self.bus.delete_topology()).await;
        let _ = tokio::time::timeout(PATIENCE, self.bus.close()).await;
        drop(self.database);
    }

    pub async fn db(&self) -> AsyncMysqlConnection {
        AsyncMysqlConnection::establish(&self.db_url).await.unwrap()
    }

    /// Runs a statement directly on the test's database (arranging time, mostly).
    pub async fn exec(&self, sql: &str) {
        diesel::sql_query(sql).execute(&mut self.db().await).await.unwrap();
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn create_room_with(&self, body: Value) -> Response {
        self.post_json("/api/v1/rooms", &body).await
    }

    /// Creates an open room named `name` (2 h) and returns it.
    pub async fn create_room(&self, name: &str) -> TestRoom {
        self.create_room_from(json!({"name": name, "lifetime": "2h"})).await
    }

    pub async fn create_room_from(&self, body: Value) -> TestRoom {
        let response = self.create_room_with(body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        TestRoom {
            slug: body["slug"].as_str().unwrap().to_owned(),
            id: body["id"].as_u64().unwrap(),
            owner_token: body["owner_token"].as_str().unwrap().to_owned(),
            body,
        }
    }

    pub async fn post_message(&self, slug: &str, nickname: &str, body: &str) -> Response {
        self.post_json(
            &format!("/api/v1/rooms/{slug}/messages"),
            &json!({"nickname": nickname, "body": body}),
        )
        .await
    }

    /// Joins `slug` through the API (with `password` for a password room): a fresh participant.
    pub async fn join(&self, slug: &str, password: Option<&str>) -> Participant {
        let body = match password {
            Some(password) => json!({"password": password}),
            None => json!({}),
        };
        let response = self.post_json(&format!("/api/v1/rooms/{slug}/join"), &body).await;
        assert_eq!(response.status(), StatusCode::OK, "join {slug}");
        let body: Value = response.json().await.unwrap();
        Participant {
            token: body["token"].as_str().unwrap().to_owned(),
            id: body["participant_id"].as_str().unwrap().to_owned(),
        }
    }

    /// Posts through the API as `participant` (its join token as the bearer credential).
    pub async fn post_as(&self, participant: &Participant, slug: &str, body: Value) -> Response {
        self.client
            .post(self.url(&format!("/api/v1/rooms/{slug}/messages")))
            .bearer_auth(&participant.token)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn owner(&self, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Response {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    /// A form post from the owner's pages: the room's owner cookie, redirects not followed.
    pub async fn owner_form(&self, room: &TestRoom, path: &str, form: &[(&str, &str)]) -> Response {
        page_client()
            .post(self.url(path))
            .header("Cookie", owner_cookie(room))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// A page as the room's owner sees it (the owner cookie), redirects not followed.
    pub async fn owner_page(&self, room: &TestRoom, path: &str) -> Response {
        page_client()
            .get(self.url(path))
            .header("Cookie", owner_cookie(room))
            .send()
            .await
            .unwrap()
    }

    /// The room's audit log as (actor, action, target), oldest first.
    pub async fn audit(&self, room: &TestRoom) -> Vec<(String, String, String)> {
        let log: Value = self
            .owner(
                reqwest::Method::GET,
                &format!("/api/v1/rooms/{}/audit", room.slug),
                &room.owner_token,
                None,
            )
            .await
            .json()
            .await
            .unwrap();
        log["entries"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .map(|e| {
                (
                    e["actor"].as_str().unwrap().to_owned(),
                    e["action"].as_str().unwrap().to_owned(),
                    e["target"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    pub async fn patch_room(&self, room: &TestRoom, body: Value) -> Response {
        self.owner(
            reqwest::Method::PATCH,
            &format!("/api/v1/rooms/{}", room.slug),
            &room.owner_token,
            Some(body),
        )
        .await
    }

    pub async fn messages(&self, slug: &str, query: &str) -> Value {
        let response = self.get(&format!("/api/v1/rooms/{slug}/messages{query}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn events(&self, slug: &str, query: &str) -> Value {
        let response = self.get(&format!("/api/v1/rooms/{slug}/events{query}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Subscribes to every event of a room on `tm.events`.
    pub async fn watch_room(&self, room_id: u64) -> Subscription {
        self.watch(&tm_core::event::room_binding(room_id)).await
    }

    pub async fn watch(&self, pattern: &str) -> Subscription {
        let sub = self
            .bus
            .subscribe(SubscribeSpec {
                queue: QueueKind::Exclusive,
                single_active: false,
            })
            .await
            .unwrap();
        sub.bind(pattern).await.unwrap();
        sub
    }
}

/// The next message's envelope JSON, or panics after [`PATIENCE`].
pub async fn next_envelope(sub: &mut Subscription) -> Value {
    loop {
        let event = tokio::time::timeout(PATIENCE, sub.next())
            .await
            .expect("an event in time")
            .expect("bus open");
        if let SubscriptionEvent::Message(incoming) = event {
            let envelope: Value = serde_json::from_slice(&incoming.body).unwrap();
            assert_eq!(
                incoming.message_id.as_deref(),
                envelope["id"].as_str(),
                "message_id = envelope id"
            );
            return envelope;
        }
    }
}

/// The error code of a typed error answer.
pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("not a typed error: {body}"))
        .to_owned()
}

/// A client that shows each answer as it comes, like a test of a form post needs (no redirects).
pub fn page_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Cookie` header of the browser that created `room` (the owner cookie the pages read).
pub fn owner_cookie(room: &TestRoom) -> String {
    format!("tm_owner_{}={}", room.id, room.owner_token)
}
