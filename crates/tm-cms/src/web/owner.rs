//! Owner controls: the room's settings, pause/resume/close, and per-message moderation.
//! Every action goes through the same engine calls as the JSON API (and so into the audit log).

use actix_web::cookie::SameSite;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;
use tm_core::event::{Moderation, RoomState};

use super::context::{self, EngineData, SITE_NAME};
use super::view::{error_page, render, MessageRow, PollRow};
use super::{cookies, security};
use crate::engine::db::models::RoomRow;
use crate::engine::polls::NewPoll;
use crate::engine::questions::MessageMarks;
use crate::engine::rooms::UpdateRoom;
use crate::errors::ApiErrorCode;

/// The owner link: the token rides in the URL fragment, which browsers never send to a server,
/// so it stays out of access logs, proxies and `Referer` headers. The sign-in page's script
/// reads it and posts it to `/r/{slug}/owner/sign-in`.
pub fn owner_link(room_url: &str, token: &str) -> String {
    format!("{room_url}/owner#{token}")
}

/// How long the owner cookie lasts.
const OWNER_COOKIE_SECS: i64 = 366 * 24 * 3600;

/// The room and the owner's token, or the page to answer instead (the sign-in form when the
/// browser holds no valid owner token).
pub(super) async fn owned_room(
    req: &HttpRequest,
    engine: &EngineData,
    slug: &str,
) -> Result<(RoomRow, String), HttpResponse> {
    let row = engine
        .rooms()
        .find(slug)
        .await
        .map_err(|e| error_page(e.status(), SITE_NAME))?;
    match context::owner_token(req, &row) {
        Some(token) if engine.rooms().authorize(&row, Some(&token)).is_some() => Ok((row, token)),
        _ => Err(sign_in_page(&row.slug, None)),
    }
}

/// 403 with the owner sign-in form (and the script that submits the link's fragment).
fn sign_in_page(slug: &str, error: Option<&str>) -> HttpResponse {
    let mut ctx = Context::new();
    ctx.insert("slug", slug);
    ctx.insert("error", &error);
    render(StatusCode::FORBIDDEN, "owner_sign_in.html", ctx, SITE_NAME)
}

/// `GET /r/{slug}/owner`: the controls for a browser holding the owner cookie, else the
/// sign-in form. A `?token=` is not read: tokens do not belong in URLs servers see.
pub async fn page(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    let (row, token) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let flash = req.cookie(cookies::FLASH_OWNER).map(|c| c.value().to_owned());
    let mut response = render_controls(&engine, &row, &token, flash.as_deref(), None).await;
    if flash.is_some() {
        let _ = response.add_cookie(&cookies::removal(cookies::FLASH_OWNER));
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    token: String,
}

/// `POST /r/{slug}/owner/sign-in`: trades the owner token (from the link's fragment, or pasted)
/// for the owner cookie, then redirects to the clean controls URL.
pub async fn sign_in(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<SignInForm>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let row = match engine.rooms().find(&slug).await {
        Ok(row) => row,
        Err(error) => return error_page(error.status(), SITE_NAME),
    };
    let token = form.into_inner().token.trim().to_owned();
    if engine.rooms().authorize(&row, Some(&token)).is_none() {
        return sign_in_page(&row.slug, Some("That is not this room's owner token."));
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/r/{}/owner", row.slug)))
        .cookie(cookies::build(
            &req,
            cookies::owner_cookie_name(row.id),
            token,
            OWNER_COOKIE_SECS,
            SameSite::Lax,
        ))
        .finish()
}

/// `POST /r/{slug}/owner/rotate`: a new owner token; this browser keeps owning the room (new
/// cookie) and is shown the new link once; every other holder of the old token loses it.
pub async fn rotate(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let (row, token) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    match engine.rooms().rotate_owner_token(&row.slug, Some(&token)).await {
        Ok(rotated) => {
            let link = owner_link(&engine.rooms().view(&row).url, &rotated.owner_token);
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/r/{}/owner", row.slug)))
                .cookie(cookies::build(
                    &req,
                    cookies::owner_cookie_name(row.id),
                    rotated.owner_token,
                    OWNER_COOKIE_SECS,
                    SameSite::Lax,
                ))
                .cookie(cookies::build(
                    &req,
                    cookies::FLASH_OWNER.into(),
                    link,
                    300,
                    SameSite::Strict,
                ))
                .finish()
        }
        Err(error) if error.status().is_server_error() => error_page(error.status(), SITE_NAME),
        Err(error) => render_controls(&engine, &row, &token, None, Some(error.to_string())).await,
    }
}

/// The controls page; `owner_link` is a freshly rotated owner link, shown this once.
async fn render_controls(
    engine: &EngineData,
    row: &RoomRow,
    token: &str,
    owner_link: Option<&str>,
    error: Option<String>,
) -> HttpResponse {
    let messages = match engine.moderation().queue(row).await {
        Ok(queue) => queue
            .into_iter()
            .map(|queued| MessageRow::new(queued.view.message, queued.view.state, queued.participant_id))
            .collect::<Vec<_>>(),
        Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
    };
    let audit = engine
        .moderation()
        .audit_log(&row.slug, Some(token))
        .await
        .map(|a| a.entries)
        .unwrap_or_default();
    let polls: Vec<PollRow> = match engine.polls().list_in(row).await {
        Ok(list) => list.polls.into_iter().map(PollRow::from).collect(),
        Err(e) => return error_page(e.status(), SITE_NAME),
    };
    let moderators = match engine.co_moderators().active(row).await {
        Ok(moderators) => moderators,
        Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
    };
    let mut ctx = Context::new();
    ctx.insert("room", &engine.rooms().owner_view(row));
    ctx.insert("messages", &messages);
    ctx.insert("polls", &polls);
    ctx.insert("audit", &audit);
    ctx.insert("moderators", &moderators);
    ctx.insert("owner_link", &owner_link);
    ctx.insert("error", &error);
    render(
        if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        "owner.html",
        ctx,
        SITE_NAME,
    )
}

fn back_to_controls(slug: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/r/{slug}/owner")))
        .finish()
}

/// Runs one owner action and answers with the controls page (or their error).
macro_rules! owner_action {
    ($req:expr, $engine:expr, $slug:expr, |$row:ident, $token:ident| $action:expr) => {{
        if !security::same_origin(&$req) {
            return security::forbidden_cross_site();
        }
        let ($row, $token) = match owned_room(&$req, &$engine, &$slug).await {
            Ok(found) => found,
            Err(page) => return page,
        };
        match $action.await {
            Ok(_) => back_to_controls(&$row.slug),
            Err(error) if error.status().is_server_error() => error_page(error.status(), SITE_NAME),
            Err(error) => render_controls(&$engine, &$row, &$token, None, Some(error.to_string())).await,
        }
    }};
}

#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    topic: String,
    #[serde(default)]
    hashtags: String,
    slow_mode_seconds: u32,
    moderation: String,
    /// The word filter, one word or phrase per line (blank lines are skipped); absent: unchanged.
    blocked_words: Option<String>,
}

/// `POST /r/{slug}/owner/settings`.
pub async fn settings(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let update = UpdateRoom {
        topic: Some(form.topic),
        state: None,
        slow_mode_seconds: Some(form.slow_mode_seconds),
        moderation: Some(if form.moderation == "approve" {
            Moderation::Approve
        } else {
            Moderation::Post
        }),
        hashtags: Some(
            form.hashtags
                .split([' ', ','])
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        blocked_words: form
            .blocked_words
            .map(|lines| lines.lines().map(str::to_owned).collect()),
    };
    owner_action!(req, engine, slug, |row, token| engine.rooms().update(
        &row.slug,
        Some(&token),
        update
    ))
}

/// `POST /r/{slug}/owner/pause` and `/resume`.
pub async fn set_state(req: HttpRequest, engine: EngineData, path: web::Path<(String, String)>) -> HttpResponse {
    let (slug, action) = path.into_inner();
    let state = match action.as_str() {
        "pause" => RoomState::Paused,
        "resume" => RoomState::Open,
        _ => return error_page(StatusCode::NOT_FOUND, SITE_NAME),
    };
    let update = UpdateRoom {
        state: Some(state),
        ..Default::default()
    };
    owner_action!(req, engine, slug, |row, token| engine.rooms().update(
        &row.slug,
        Some(&token),
        update
    ))
}

/// `POST /r/{slug}/owner/close`.
pub async fn close(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    owner_action!(req, engine, slug, |row, token| engine
        .rooms()
        .close_as(&row.slug, Some(&token)))
}

/// `POST /r/{slug}/owner/messages/{id}/{delete|approve|reject|answer|unanswer|pin|unpin}`.
pub async fn message_action(
    req: HttpRequest,
    engine: EngineData,
    path: web::Path<(String, u64, String)>,
) -> HttpResponse {
    let (slug, id, action) = path.into_inner();
    match action.as_str() {
        "delete" => owner_action!(req, engine, slug, |row, token| engine.moderation().delete(
            &row.slug,
            Some(&token),
            id
        )),
        "approve" => owner_action!(req, engine, slug, |row, token| engine.moderation().approve(
            &row.slug,
            Some(&token),
            id
        )),
        "reject" => owner_action!(req, engine, slug, |row, token| engine.moderation().reject(
            &row.slug,
            Some(&token),
            id
        )),
        "answer" | "unanswer" | "pin" | "unpin" => {
            let marks = MessageMarks {
                answered: matches!(action.as_str(), "answer" | "unanswer").then_some(action == "answer"),
                pinned: matches!(action.as_str(), "pin" | "unpin").then_some(action == "pin"),
            };
            owner_action!(req, engine, slug, |row, token| engine.questions().mark(
                &row.slug,
                Some(&token),
                id,
                marks
            ))
        }
        _ => error_page(StatusCode::NOT_FOUND, SITE_NAME),
    }
}

#[derive(Debug, Deserialize)]
pub struct MuteForm {
    participant_id: String,
}

/// `POST /r/{slug}/owner/mute`.
pub async fn mute(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<MuteForm>,
) -> HttpResponse {
    let participant = form.into_inner().participant_id;
    owner_action!(req, engine, slug, |row, token| engine.moderation().mute(
        &row.slug,
        Some(&token),
        &participant,
        true
    ))
}

#[derive(Debug, Deserialize)]
pub struct PollForm {
    question: String,
    /// One option per line.
    options: String,
    /// A checkbox: present when ticked.
    multiple: Option<String>,
}

/// `POST /r/{slug}/owner/polls`: opens a poll (the options one per line; blank lines are
/// ignored).
pub async fn open_poll(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<PollForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let poll = NewPoll {
        question: form.question,
        options: form
            .options
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
        multiple: form.multiple.is_some(),
    };
    owner_action!(req, engine, slug, |row, token| engine.polls().open(
        &row.slug,
        Some(&token),
        poll
    ))
}

/// `POST /r/{slug}/owner/polls/{id}/close`.
pub async fn close_poll(req: HttpRequest, engine: EngineData, path: web::Path<(String, u64)>) -> HttpResponse {
    let (slug, id) = path.into_inner();
    owner_action!(req, engine, slug, |row, token| engine.polls().close(
        &row.slug,
        Some(&token),
        id
    ))
}
