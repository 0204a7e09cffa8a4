//! The Twitter v2 endpoints tm uses: stream rules (list, add, delete) and the stream itself.
//!
//! Base URL is configurable so tests point it at a local fake. Every request carries the app's
//! bearer token; the token never appears in logs (it lives in a [`Secret`]).

use std::time::Duration;

use serde::Deserialize;
use tm_runtime::Secret;

use super::model::Problem;
use super::rules::{ActiveRule, RuleSpec};

const RULES_PATH: &str = "/2/tweets/search/stream/rules";
/// The stream with the fields and expansions an `ingest.item` needs.
pub const STREAM_PATH: &str =
    "/2/tweets/search/stream?tweet.fields=created_at,author_id&expansions=author_id&user.fields=username,name";

/// A request failed before or at the HTTP level.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("network error: {}", chain(.0))]
    Network(#[source] reqwest::Error),
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("unexpected response body: {0}")]
    Decode(String),
}

impl ApiError {
    fn from_reqwest(err: reqwest::Error) -> Self {
        match err.status() {
            Some(status) => ApiError::Http {
                status: status.as_u16(),
                body: String::new(),
            },
            None if err.is_decode() => ApiError::Decode(err.to_string()),
            None => ApiError::Network(err),
        }
    }
}

/// An error with its causes, `a: b: c`: reqwest's top-level message alone ("error sending
/// request") hides whether the connection was refused, reset or timed out.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// What an add request did.
#[derive(Debug, Default)]
pub struct AddOutcome {
    pub created: Vec<ActiveRule>,
    /// Rules Twitter refused (invalid syntax, `DuplicateRule`, over the limit...).
    pub rejected: Vec<Problem>,
}

#[derive(Debug, Default, Deserialize)]
struct RulesResponse {
    #[serde(default)]
    data: Vec<ActiveRule>,
    #[serde(default)]
    errors: Vec<Problem>,
}

/// A client for one app.
#[derive(Clone)]
pub struct TwitterApi {
    http: reqwest::Client,
    base_url: String,
    token: Secret<String>,
    request_timeout: Duration,
}

impl TwitterApi {
    pub fn new(base_url: &str, token: Secret<String>, connect_timeout: Duration) -> Result<Self, ApiError> {
        // No overall timeout on the client: the stream lives for days. Silence is detected by
        // the line reader; rule requests get their own timeout.
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .user_agent(concat!("tm-ingest/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ApiError::Network)?;
        Ok(TwitterApi {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token,
            request_timeout: Duration::from_secs(30),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// `GET …/rules`: the rules in force (none: no `data` key).
    pub async fn list_rules(&self) -> Result<Vec<ActiveRule>, ApiError> {
        let req = self.http.get(self.url(RULES_PATH));
        Ok(self.send_rules(req).await?.data)
    }

    /// `POST …/rules {"add":[…]}`.
    pub async fn add_rules(&self, add: &[RuleSpec]) -> Result<AddOutcome, ApiError> {
        let body = serde_json::json!({ "add": add });
        let resp = self
            .send_rules(self.http.post(self.url(RULES_PATH)).json(&body))
            .await?;
        Ok(AddOutcome {
            created: resp.data,
            rejected: resp.errors,
        })
    }

    /// `POST …/rules {"delete":{"ids":[…]}}`; returns the problems reported, if any.
    pub async fn delete_rules(&self, ids: &[String]) -> Result<Vec<Problem>, ApiError> {
        let body = serde_json::json!({ "delete": { "ids": ids } });
        let resp = self
            .send_rules(self.http.post(self.url(RULES_PATH)).json(&body))
            .await?;
        Ok(resp.errors)
    }

    async fn send_rules(&self, req: reqwest::RequestBuilder) -> Result<RulesResponse, ApiError> {
        let resp = req
            .bearer_auth(self.token.expose())
            .timeout(self.request_timeout)
            .send()
            .await
            .map_err(ApiError::from_reqwest)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(ApiError::from_reqwest)?;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&body).chars().take(500).collect();
            return Err(ApiError::Http {
                status: status.as_u16(),
                body,
            });
        }
        serde_json::from_slice(&body).map_err(|e| ApiError::Decode(e.to_string()))
    }

    /// Opens the stream; `Ok` only for HTTP 200 (the body is then the stream).
    pub async fn open_stream(&self) -> Result<reqwest::Response, ApiError> {
        let resp = self
            .http
            .get(self.url(STREAM_PATH))
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(ApiError::from_reqwest)?;
        let status = resp.status();
        if status.as_u16() != 200 {
            // Error bodies are small JSON problems; read a bounded prefix for the log.
            let body = tokio::time::timeout(Duration::from_secs(5), resp.bytes())
                .await
                .ok()
                .and_then(Result::ok)
                .map(|b| String::from_utf8_lossy(&b).chars().take(500).collect())
                .unwrap_or_default();
            return Err(ApiError::Http {
                status: status.as_u16(),
                body,
            });
        }
        Ok(resp)
    }
}
