//! The room page and its no-JS post form, the projector and the embed view, a closed room's
//! page, the password form and the live module's join token.

use actix_web::cookie::SameSite;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;
use tm_core::event::{PollState, RoomState};

use super::context::{self, EngineData, SITE_NAME};
use super::view::{error_page, render, MessageRow, PollRow};
use super::{cookies, message_html, participant, security};
use crate::api::request::client_ip;
use crate::engine::access::AccessError;
use crate::engine::db::models::RoomRow;
use crate::engine::posting::{NewPost, PostError, RoomRef};
use crate::engine::rooms::RoomError;
use crate::errors::ApiErrorCode;

/// How many recent messages the room page shows.
const RECENT: u32 = 100;
/// Top questions on the projector.
const PROJECTOR_TOP: i64 = 5;

/// Where a room's page is shown: a page of our own, or framed into someone else's site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    OnSite,
    Embedded,
}

/// The open (or paused) room row for a page, or the page to answer instead (404, 503, the
/// password form, or a closed room's page: 410, with the link to its transcript).
async fn room_for_page(
    req: &HttpRequest,
    engine: &EngineData,
    slug: &str,
    shown: Shown,
) -> Result<RoomRow, HttpResponse> {
    let row = match engine.rooms().find(slug).await {
        Ok(row) => row,
        Err(error) => return Err(error_page(page_status(&error), SITE_NAME)),
    };
    if row.state == RoomState::Closed {
        return Err(closed_page(engine, &row, shown));
    }
    if let Err(denied) = context::page_access(req, engine, &row) {
        return Err(denied_page(&row, &denied));
    }
    Ok(row)
}

/// 410 for a closed room: why it closed, and its transcript (readable until the room is purged;
/// a password room's transcript still asks for the password).
fn closed_page(engine: &EngineData, row: &RoomRow, shown: Shown) -> HttpResponse {
    let mut ctx = Context::new();
    ctx.insert("room", &engine.rooms().view(row));
    ctx.insert("embedded", &(shown == Shown::Embedded));
    render(StatusCode::GONE, "closed.html", ctx, SITE_NAME)
}

/// The answer to a browser that may not read a password room: the password form (401), or
/// 403 when it presented a token of another room.
pub fn denied_page(row: &RoomRow, denied: &AccessError) -> HttpResponse {
    match denied {
        AccessError::NotMember => error_page(StatusCode::FORBIDDEN, SITE_NAME),
        AccessError::PasswordRequired | AccessError::InvalidToken => {
            let mut ctx = Context::new();
            ctx.insert("slug", &row.slug);
            render(StatusCode::UNAUTHORIZED, "password.html", ctx, SITE_NAME)
        }
        other => error_page(other.status(), SITE_NAME),
    }
}

fn page_status(error: &RoomError) -> StatusCode {
    match error.status() {
        StatusCode::UNPROCESSABLE_ENTITY => StatusCode::NOT_FOUND, // a malformed slug names no room
        status => status,
    }
}

/// The most recent visible messages, newest first.
pub async fn recent_messages(engine: &EngineData, row: &RoomRow, count: u32) -> Result<Vec<MessageRow>, RoomError> {
    let latest = engine.messages().latest_in(row, count).await?;
    Ok(latest.into_iter().map(MessageRow::from_view).collect())
}

/// The room's polls (newest first) and its pinned message, for the room page and projector.
async fn qa_context(engine: &EngineData, row: &RoomRow) -> Result<(Vec<PollRow>, Option<MessageRow>), StatusCode> {
    let polls = engine.polls().list_in(row).await.map_err(|e| e.status())?;
    let pinned = engine
        .questions()
        .pinned(row)
        .await
        .map_err(|e| crate::errors::db_status(&e).0)?;
    Ok((
        polls.polls.into_iter().map(PollRow::from).collect(),
        pinned.map(MessageRow::from_view),
    ))
}

/// Renders the room page, with an optional form error and the draft to keep.
async fn room_page(
    req: &HttpRequest,
    engine: &EngineData,
    row: RoomRow,
    status: StatusCode,
    error: Option<String>,
    draft: &str,
) -> HttpResponse {
    let mut messages = match recent_messages(engine, &row, RECENT).await {
        Ok(messages) => messages,
        Err(error) => return error_page(page_status(&error), SITE_NAME),
    };
    let (polls, pinned) = match qa_context(engine, &row).await {
        Ok(found) => found,
        Err(status) => return error_page(status, SITE_NAME),
    };
    let is_owner = context::is_owner(req, engine, &row);
    // A co-moderator gets the owner's buttons on messages (each is a moderation action), on
    // routes of their own; the owner's own cookie wins when a browser holds both.
    let is_moderator = !is_owner && context::is_moderator(req, engine, &row).await;
    if is_owner || is_moderator {
        // The buttons offer "Unmute" where the author is muted.
        let ids: Vec<u64> = messages.iter().map(|m| m.message.id).collect();
        match engine.moderation().muted_authors(&row, &ids).await {
            Ok(muted) => messages
                .iter_mut()
                .for_each(|m| m.author_muted = muted.contains(&m.message.id)),
            Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
        }
    }
    let (_, new_participant) = participant::of_browser(req, engine);
    let flash = req.cookie(cookies::FLASH_OWNER).map(|c| c.value().to_owned());
    let mut ctx = Context::new();
    let options = message_html::Options {
        owner: is_owner || is_moderator,
        slug: &row.slug,
        from: "?from=room",
        base: if is_owner { "owner" } else { "moderate" },
        ..message_html::Options::default()
    };
    message_html::insert(&mut ctx, &messages, &options);
    ctx.insert("room", &engine.rooms().view(&row));
    ctx.insert("polls", &polls);
    ctx.insert("pinned", &pinned);
    ctx.insert("is_owner", &is_owner);
    ctx.insert("is_moderator", &is_moderator);
    // The live module's template of the buttons matches the server's items.
    ctx.insert("can_moderate", &options.owner);
    ctx.insert("actions_base", options.base);
    ctx.insert(
        "nickname",
        &req.cookie(cookies::NICKNAME)
            .map(|c| c.value().to_owned())
            .unwrap_or_default(),
    );
    ctx.insert("owner_link", &flash);
    ctx.insert("error", &error);
    ctx.insert("draft", draft);
    let mut response = render(status, "room.html", ctx, SITE_NAME);
    if let Some(cookie) = new_participant {
        let _ = response.add_cookie(&cookie);
    }
    if flash.is_some() {
        let _ = response.add_cookie(&cookies::removal(cookies::FLASH_OWNER));
    }
    response
}

/// `GET /r/{slug}`.
pub async fn room(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    match room_for_page(&req, &engine, &slug, Shown::OnSite).await {
        Ok(row) => room_page(&req, &engine, row, StatusCode::OK, None, "").await,
        Err(page) => page,
    }
}

#[derive(Debug, Deserialize)]
pub struct PostForm {
    nickname: String,
    body: String,
}

/// `POST /r/{slug}/messages`: the no-JS path. Stores the post, then redirects back.
pub async fn post(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<PostForm>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let row = match room_for_page(&req, &engine, &slug, Shown::OnSite).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let (participant_id, new_participant) = participant::of_browser(&req, &engine);
    let form = form.into_inner();
    let post = NewPost {
        room: RoomRef::Id(row.id),
        nickname: form.nickname.clone(),
        body: form.body.clone(),
        participant_id,
        client_id: None,
        client_ip: Some(client_ip(&req, &engine)),
        received_at: None,
    };
    let year = 366 * 24 * 3600;
    match engine.messages().post(post).await {
        Ok(_) => {
            let mut response = HttpResponse::SeeOther();
            response.insert_header((header::LOCATION, format!("/r/{}", row.slug)));
            response.cookie(cookies::build(
                &req,
                cookies::NICKNAME.into(),
                form.nickname.trim().to_owned(),
                year,
                SameSite::Lax,
            ));
            if let Some(cookie) = new_participant {
                response.cookie(cookie);
            }
            response.finish()
        }
        Err(PostError::Closed) => closed_page(&engine, &row, Shown::OnSite),
        Err(error) if error.status().is_server_error() => error_page(error.status(), SITE_NAME),
        Err(error) => {
            room_page(
                &req,
                &engine,
                row,
                error.status(),
                Some(crate::errors::message(&error)),
                &form.body,
            )
            .await
        }
    }
}

/// `GET /r/{slug}/projector`: large type, QR code, read-only.
pub async fn projector(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    let row = match room_for_page(&req, &engine, &slug, Shown::OnSite).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let mut messages = match recent_messages(&engine, &row, 30).await {
        Ok(messages) => messages,
        Err(error) => return error_page(page_status(&error), SITE_NAME),
    };
    messages.reverse(); // oldest first on the projector, as the live module appends
    let (polls, pinned) = match qa_context(&engine, &row).await {
        Ok(found) => found,
        Err(status) => return error_page(status, SITE_NAME),
    };
    let top: Vec<MessageRow> = match engine.questions().top(&row, PROJECTOR_TOP).await {
        Ok(top) => top.into_iter().map(MessageRow::from_view).collect(),
        Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
    };
    // The projector shows the polls that are open, and the latest one once it has closed.
    let polls: Vec<PollRow> = polls
        .into_iter()
        .enumerate()
        .filter(|(i, p)| *i == 0 || p.state == PollState::Open)
        .map(|(_, p)| p)
        .collect();
    let room = engine.rooms().view(&row);
    let join_url = room.url.clone();
    let mut ctx = Context::new();
    ctx.insert("polls", &polls);
    ctx.insert("pinned", &pinned);
    ctx.insert("top", &top);
    ctx.insert("qr_svg", &super::qr::svg(&join_url));
    ctx.insert("join_url", join_url.split("://").nth(1).unwrap_or(&join_url));
    ctx.insert("room", &room);
    message_html::insert(&mut ctx, &messages, &message_html::Options::default());
    render(StatusCode::OK, "projector.html", ctx, SITE_NAME)
}

/// `GET /r/{slug}/embed`: read-only and frameable.
pub async fn embed(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    let row = match room_for_page(&req, &engine, &slug, Shown::Embedded).await {
        Ok(row) => row,
        Err(page) => return page,
    };
    let messages = match recent_messages(&engine, &row, 50).await {
        Ok(messages) => messages,
        Err(error) => return error_page(page_status(&error), SITE_NAME),
    };
    let mut ctx = Context::new();
    ctx.insert("room", &engine.rooms().view(&row));
    message_html::insert(&mut ctx, &messages, &message_html::Options::default());
    render(StatusCode::OK, "embed.html", ctx, SITE_NAME)
}

#[derive(Debug, Deserialize)]
pub struct UnlockForm {
    password: String,
}

/// `POST /r/{slug}/unlock`: checks the room password and remembers it for a day.
pub async fn unlock(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<UnlockForm>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let row = match engine.rooms().find(&slug).await {
        Ok(row) => row,
        Err(error) => return error_page(page_status(&error), SITE_NAME),
    };
    let request = crate::engine::join::JoinRequest {
        password: Some(form.into_inner().password),
    };
    let (participant_id, _) = participant::of_browser(&req, &engine);
    match engine
        .access()
        .join(&row.slug, request, None, participant_id, &client_ip(&req, &engine))
        .await
    {
        Ok(_) => {
            let day = 24 * 3600;
            let value = cookies::sign(
                &engine.keys().access_cookie,
                "access",
                &row.id.to_string(),
                cookies::now_unix() + day,
            );
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/r/{}", row.slug)))
                .cookie(cookies::build(
                    &req,
                    cookies::access_cookie_name(row.id),
                    value,
                    day,
                    SameSite::Lax,
                ))
                .finish()
        }
        Err(error) => {
            let mut ctx = Context::new();
            ctx.insert("slug", &row.slug);
            ctx.insert("error", &crate::errors::message(&error));
            render(error.status(), "password.html", ctx, SITE_NAME)
        }
    }
}

/// `POST /r/{slug}/token`: a join token for the live module, for browsers that may read the
/// room (cookie-based, so the page never handles the password itself).
pub async fn token(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let row = match engine.rooms().find(&slug).await {
        Ok(row) => row,
        Err(error) => return crate::errors::respond(&error),
    };
    if row.state == RoomState::Closed {
        return crate::errors::error_response(StatusCode::GONE, "room_closed", "the room is closed");
    }
    if let Err(denied) = context::page_access(&req, &engine, &row) {
        return crate::errors::respond(&denied);
    }
    let (participant_id, new_participant) = participant::of_browser(&req, &engine);
    let owner = context::owner_token(&req, &row).filter(|_| context::is_owner(&req, &engine, &row));
    match engine
        .access()
        .issue_join_token(&row, owner.is_some(), participant_id.clone())
    {
        Ok(answer) => {
            let mut response = HttpResponse::Ok().json(answer);
            if let Some(cookie) = new_participant {
                let _ = response.add_cookie(&cookie);
            }
            response
        }
        Err(error) => crate::errors::respond(&error),
    }
}
