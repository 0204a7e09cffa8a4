//! Owner controls: the room's settings, pause/resume/close, and per-message moderation.
//! Every action goes through the same engine calls as the JSON API (and so into the audit log).
//!
//! This module: sign-in, the controls page and what it shows; [`settings`]: the settings and
//! closing-time forms; [`actions`]: state changes, closing and the buttons on messages.

use actix_web::cookie::SameSite;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::context::{self, EngineData, SITE_NAME};
use super::view::{error_page, render, MessageRow, PollRow};
use super::{cookies, security};
use crate::engine::db::models::RoomRow;
use crate::engine::rooms::Room;
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
/// `error` is the key of its text in the locales.
fn sign_in_page(slug: &str, error: Option<&str>) -> HttpResponse {
    let mut ctx = Context::new();
    ctx.insert("slug", slug);
    ctx.insert("error", &error.map(|key| crate::i18n::current().simple(key)));
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
    let notice = req.cookie(cookies::FLASH_NOTICE);
    let shown = Shown {
        owner_link: flash.as_deref(),
        notice: notice.as_ref().and_then(|c| Notice::from_key(c.value())),
        ..Shown::default()
    };
    let mut response = render_controls(&engine, &row, &token, shown).await;
    if flash.is_some() {
        let _ = response.add_cookie(&cookies::removal(cookies::FLASH_OWNER));
    }
    if notice.is_some() {
        let _ = response.add_cookie(&cookies::removal(cookies::FLASH_NOTICE));
    }
    response
}

/// `GET /r/{slug}/owner/pending`: the posts waiting for approval, as the API's
/// `/pending` answers them, for the owner page's script (a post waiting for approval has no
/// event, so the owner page asks for them while the room is in approve mode).
pub async fn pending(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    let (row, token) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    match engine.messages().pending(&row.slug, Some(&token)).await {
        Ok(list) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(list),
        Err(error) => crate::errors::respond(&error),
    }
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
        return sign_in_page(&row.slug, Some("owner-wrong-token"));
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
        Err(error) => render_controls(&engine, &row, &token, Shown::refused(&error)).await,
    }
}

/// What the controls page shows besides the room itself.
#[derive(Debug, Default)]
struct Shown<'a> {
    /// A freshly rotated owner link, shown this once.
    owner_link: Option<&'a str>,
    /// What the last action did.
    notice: Option<Notice>,
    /// Why an action was refused, and the status to answer with.
    error: Option<(StatusCode, String)>,
    /// The settings as typed, when they were refused (otherwise the room's).
    settings: Option<&'a SettingsForm>,
}

/// What an action that succeeded tells the owner on the page it returns to. The flash cookie
/// carries the variant's name, never text, so nothing a cookie says is shown as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    SettingsSaved,
    LifetimeSet,
}

impl Notice {
    fn key(self) -> &'static str {
        match self {
            Notice::SettingsSaved => "settings_saved",
            Notice::LifetimeSet => "lifetime_set",
        }
    }

    fn from_key(key: &str) -> Option<Self> {
        [Notice::SettingsSaved, Notice::LifetimeSet]
            .into_iter()
            .find(|n| n.key() == key)
    }

    fn text(self) -> String {
        crate::i18n::current().simple(match self {
            Notice::SettingsSaved => "notice-settings-saved",
            Notice::LifetimeSet => "notice-lifetime-set",
        })
    }
}

/// Adds the notice the next page shows once.
fn with_notice(req: &HttpRequest, mut response: HttpResponse, notice: Notice) -> HttpResponse {
    let cookie = cookies::build(
        req,
        cookies::FLASH_NOTICE.into(),
        notice.key().to_owned(),
        60,
        SameSite::Strict,
    );
    let _ = response.add_cookie(&cookie);
    response
}

impl Shown<'_> {
    fn refused<E: ApiErrorCode>(error: &E) -> Self {
        Shown {
            error: Some((error.status(), crate::errors::message(error))),
            ..Shown::default()
        }
    }
}

/// The HTML another site pastes to show the room, read-only and live (`/r/{slug}/embed`, the
/// one page that may be framed). Its `title` names the frame for screen readers.
fn embed_code(room: &Room) -> String {
    format!(
        "<iframe src=\"{}/embed\" title=\"{}: live messages\" width=\"100%\" height=\"480\" loading=\"lazy\"></iframe>",
        room.url, room.slug
    )
}

/// The controls page.
async fn render_controls(engine: &EngineData, row: &RoomRow, token: &str, shown: Shown<'_>) -> HttpResponse {
    let messages = match engine.moderation().queue(row).await {
        Ok(queue) => queue
            .into_iter()
            .map(|queued| MessageRow::new(queued.view.message, queued.view.state, queued.author_muted))
            .collect::<Vec<_>>(),
        Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
    };
    let mutes = match engine.moderation().mutes(row).await {
        Ok(mutes) => mutes,
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
    let room = engine.rooms().owner_view(row);
    let embed_code = embed_code(&room);
    let settings = match shown.settings {
        Some(typed) => serde_json::to_value(typed),
        None => serde_json::to_value(SettingsForm::of(&room)),
    }
    .unwrap_or_default();
    let mut ctx = Context::new();
    ctx.insert("settings", &settings);
    ctx.insert("embed_code", &embed_code);
    ctx.insert("notice", &shown.notice.map(Notice::text));
    ctx.insert("lifetimes", &super::home::lifetimes());
    ctx.insert("room", &room);
    let options = super::message_html::Options {
        owner: true,
        slug: &row.slug,
        ..super::message_html::Options::default()
    };
    super::message_html::insert(&mut ctx, &messages, &options);
    ctx.insert("polls", &polls);
    ctx.insert("mutes", &mutes);
    ctx.insert("audit", &audit);
    ctx.insert("moderators", &moderators);
    ctx.insert("owner_link", &shown.owner_link);
    ctx.insert("error", &shown.error.as_ref().map(|(_, message)| message));
    let status = shown.error.as_ref().map_or(StatusCode::OK, |(status, _)| *status);
    render(status, "owner.html", ctx, SITE_NAME)
}

/// The owner page an action was taken on, where its answer goes back to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReturnTo {
    /// The owner controls, `/r/{slug}/owner`.
    #[default]
    Controls,
    /// The room page, `/r/{slug}`, where an owner sees the same buttons on each message.
    Room,
}

/// `?from=room` on the per-message actions of the room page.
#[derive(Debug, Default, Deserialize)]
pub struct ActionOrigin {
    #[serde(default)]
    from: ReturnTo,
}

fn back_to(page: ReturnTo, slug: &str) -> HttpResponse {
    let location = match page {
        ReturnTo::Controls => format!("/r/{slug}/owner"),
        ReturnTo::Room => format!("/r/{slug}"),
    };
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Runs one owner action and answers with the controls page (or their error).
macro_rules! owner_action {
    ($req:expr, $engine:expr, $slug:expr, |$row:ident, $token:ident| $action:expr) => {{
        owner_action!($req, $engine, $slug, ReturnTo::Controls, |$row, $token| $action)
    }};
    ($req:expr, $engine:expr, $slug:expr, $back:expr, |$row:ident, $token:ident| $action:expr) => {{
        if !security::same_origin(&$req) {
            return security::forbidden_cross_site();
        }
        let ($row, $token) = match owned_room(&$req, &$engine, &$slug).await {
            Ok(found) => found,
            Err(page) => return page,
        };
        match $action.await {
            Ok(_) => back_to($back, &$row.slug),
            Err(error) if error.status().is_server_error() => error_page(error.status(), SITE_NAME),
            Err(error) => render_controls(&$engine, &$row, &$token, Shown::refused(&error)).await,
        }
    }};
}

// Declared after `owner_action!`, which `actions` uses (a macro is in scope below its definition).
mod actions;
mod polls;
mod reactions;
mod settings;

pub use actions::{close, confirm_close_page, message_action, mute, set_state, Closer, Confirmation};
pub use polls::{close_poll, open_poll};
pub use reactions::reactions;
pub use settings::{lifetime, settings, SettingsForm};
