//! Co-moderators on the site: the owner adds and revokes them from the owner page, and each
//! co-moderator works from a page of their own, `/r/{slug}/moderate`: the room's messages, the
//! approval queue and the message actions (delete, approve, reject, answered, pinned, mute and
//! unmute), with no settings, close or polls. Every action goes through the same engine calls as
//! the JSON API, which checks what the token may do (`rooms::Actor::may`).
//!
//! A moderator link, `/r/{slug}/moderate#<token>`, carries its token in the URL fragment like
//! the owner link; the sign-in page's script (`owner.js`, shared with the owner sign-in) posts it
//! to `/r/{slug}/moderate/sign-in`, which sets the `tm_mod_<room id>` cookie.

use actix_web::cookie::SameSite;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::context::{EngineData, SITE_NAME};
use super::owner::{owned_room, ReturnTo};
use super::view::{error_page, render, MessageRow};
use super::{cookies, security};
use crate::engine::co_moderators::NewModerator;
use crate::engine::db::models::RoomRow;
use crate::engine::questions::MessageMarks;
use crate::engine::rooms::Actor;
use crate::errors::ApiErrorCode;

/// How long the moderator cookie lasts (the token stops working earlier if it is revoked).
const MODERATOR_COOKIE_SECS: i64 = 366 * 24 * 3600;

/// How long the owner has to read a new moderator link (its flash cookie).
const LINK_FLASH_SECS: i64 = 300;

// --- The owner's side: add, show the link once, revoke. ---

#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    label: String,
}

/// `POST /r/{slug}/owner/moderators`: adds a co-moderator and shows their link once (through a
/// short-lived flash cookie, so reloading the page does not add another).
pub async fn add(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<AddForm>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let (row, token) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let label = Some(form.into_inner().label);
    match engine
        .co_moderators()
        .create(&row.slug, Some(&token), NewModerator { label })
        .await
    {
        Ok(created) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/r/{}/owner/moderators/new", row.slug)))
            .cookie(cookies::build(
                &req,
                cookies::FLASH_MODERATOR.into(),
                created.link,
                LINK_FLASH_SECS,
                SameSite::Strict,
            ))
            .finish(),
        Err(error) => refused(&row, &error),
    }
}

/// `GET /r/{slug}/owner/moderators/new`: the new moderator link, shown this once.
pub async fn new_link(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    let (row, _) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let link = req.cookie(cookies::FLASH_MODERATOR).map(|c| c.value().to_owned());
    let mut ctx = Context::new();
    ctx.insert("slug", &row.slug);
    ctx.insert("link", &link);
    ctx.insert("error", &None::<String>);
    let mut response = render(StatusCode::OK, "moderator_link.html", ctx, SITE_NAME);
    if link.is_some() {
        let _ = response.add_cookie(&cookies::removal(cookies::FLASH_MODERATOR));
    }
    response
}

/// `POST /r/{slug}/owner/moderators/{id}/revoke`: the co-moderator's token stops working now.
pub async fn revoke(req: HttpRequest, engine: EngineData, path: web::Path<(String, u64)>) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let (slug, id) = path.into_inner();
    let (row, token) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    match engine.co_moderators().revoke(&row.slug, Some(&token), id).await {
        Ok(()) => see_other(&format!("/r/{}/owner", row.slug)),
        Err(error) => refused(&row, &error),
    }
}

/// Why an owner's moderator action was refused, with the way back to the controls.
fn refused<E: ApiErrorCode>(row: &RoomRow, error: &E) -> HttpResponse {
    if error.status().is_server_error() {
        return error_page(error.status(), SITE_NAME);
    }
    let mut ctx = Context::new();
    ctx.insert("slug", &row.slug);
    ctx.insert("link", &None::<String>);
    ctx.insert("error", &Some(crate::errors::message(error)));
    render(error.status(), "moderator_link.html", ctx, SITE_NAME)
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .finish()
}

// --- The co-moderator's side: sign in, the page, the message actions. ---

/// The room and the co-moderator's token this browser holds for it, or the page to answer
/// instead (the sign-in form when it holds none that works, or a revoked one).
async fn moderated_room(
    req: &HttpRequest,
    engine: &EngineData,
    slug: &str,
) -> Result<(RoomRow, String, Actor), HttpResponse> {
    let row = engine
        .rooms()
        .find(slug)
        .await
        .map_err(|e| error_page(e.status(), SITE_NAME))?;
    let Some(token) = req
        .cookie(&cookies::moderator_cookie_name(row.id))
        .map(|c| c.value().to_owned())
    else {
        return Err(sign_in_page(&row.slug, None));
    };
    match moderator_of(engine, &row, &token).await? {
        Some(actor) => Ok((row, token, actor)),
        None => Err(sign_in_page(&row.slug, None)),
    }
}

/// The co-moderator `token` makes its holder in `row`, if it is one (the owner token is not
/// taken here: the owner has the owner page).
async fn moderator_of(engine: &EngineData, row: &RoomRow, token: &str) -> Result<Option<Actor>, HttpResponse> {
    match engine.rooms().actor(row, Some(token)).await {
        Ok(Some(actor @ Actor::Moderator { .. })) => Ok(Some(actor)),
        Ok(_) => Ok(None),
        Err(e) => Err(error_page(crate::errors::db_status(&e).0, SITE_NAME)),
    }
}

/// 403 with the moderator sign-in form (and the script that submits the link's fragment).
/// `error` is the key of its text in the locales.
fn sign_in_page(slug: &str, error: Option<&str>) -> HttpResponse {
    let mut ctx = Context::new();
    ctx.insert("slug", slug);
    ctx.insert("error", &error.map(|key| crate::i18n::current().simple(key)));
    render(StatusCode::FORBIDDEN, "moderator_sign_in.html", ctx, SITE_NAME)
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    token: String,
}

/// `POST /r/{slug}/moderate/sign-in`: trades a moderator token (from the link's fragment, or
/// pasted) for the moderator cookie, then redirects to the clean page URL.
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
    match moderator_of(&engine, &row, &token).await {
        Ok(Some(_)) => {}
        Ok(None) => return sign_in_page(&row.slug, Some("moderator-wrong-token")),
        Err(page) => return page,
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/r/{}/moderate", row.slug)))
        .cookie(cookies::build(
            &req,
            cookies::moderator_cookie_name(row.id),
            token,
            MODERATOR_COOKIE_SECS,
            SameSite::Lax,
        ))
        .finish()
}

/// `GET /r/{slug}/moderate`: the co-moderator's page, or the sign-in form.
pub async fn page(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    match moderated_room(&req, &engine, &slug).await {
        Ok((row, token, actor)) => render_page(&engine, &row, &token, &actor, None).await,
        Err(page) => page,
    }
}

/// The page: the messages (pending first to judge), each with the actions a co-moderator has,
/// and the audit log.
async fn render_page(
    engine: &EngineData,
    row: &RoomRow,
    token: &str,
    actor: &Actor,
    error: Option<(StatusCode, String)>,
) -> HttpResponse {
    let queue = match engine.moderation().queue(row).await {
        Ok(queue) => queue,
        Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
    };
    let messages: Vec<MessageRow> = queue
        .into_iter()
        .map(|queued| MessageRow::new(queued.view.message, queued.view.state, queued.author_muted))
        .collect();
    let audit = match engine.moderation().audit_log(&row.slug, Some(token)).await {
        Ok(log) => log.entries,
        Err(e) => return error_page(e.status(), SITE_NAME),
    };
    let label = match actor {
        Actor::Moderator { label, .. } => label.as_str(),
        Actor::Owner | Actor::Admin => "",
    };
    let mut ctx = Context::new();
    ctx.insert("room", &engine.rooms().view(row));
    ctx.insert("label", label);
    let options = super::message_html::Options {
        owner: true,
        slug: &row.slug,
        base: "moderate",
        ..super::message_html::Options::default()
    };
    super::message_html::insert(&mut ctx, &messages, &options);
    ctx.insert("audit", &audit);
    let status = error.as_ref().map_or(StatusCode::OK, |(status, _)| *status);
    ctx.insert("error", &error.map(|(_, message)| message));
    render(status, "moderate.html", ctx, SITE_NAME)
}

/// What a co-moderator does to one message from their page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MessageAction {
    Delete,
    Approve,
    Reject,
    Mark(Mark),
    Mute(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Answered(bool),
    Pinned(bool),
}

impl MessageAction {
    fn parse(action: &str) -> Option<Self> {
        Some(match action {
            "delete" => MessageAction::Delete,
            "approve" => MessageAction::Approve,
            "reject" => MessageAction::Reject,
            "answer" => MessageAction::Mark(Mark::Answered(true)),
            "unanswer" => MessageAction::Mark(Mark::Answered(false)),
            "pin" => MessageAction::Mark(Mark::Pinned(true)),
            "unpin" => MessageAction::Mark(Mark::Pinned(false)),
            "mute" => MessageAction::Mute(true),
            "unmute" => MessageAction::Mute(false),
            _ => return None,
        })
    }
}

/// The error of an engine call, as the page shows it.
fn refusal<T, E: ApiErrorCode>(result: Result<T, E>) -> Result<(), (StatusCode, String)> {
    result.map(|_| ()).map_err(|e| (e.status(), crate::errors::message(&e)))
}

/// `?from=room` on the buttons of the room page, which a co-moderator gets like the owner.
#[derive(Debug, Default, Deserialize)]
pub struct ActionOrigin {
    #[serde(default)]
    from: ReturnTo,
}

/// `POST /r/{slug}/moderate/messages/{id}/{delete|approve|reject|answer|unanswer|pin|unpin|mute|unmute}`
/// (`?from=room` from the room page, which it then returns to).
pub async fn message_action(
    req: HttpRequest,
    engine: EngineData,
    path: web::Path<(String, u64, String)>,
    origin: web::Query<ActionOrigin>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let (slug, id, action) = path.into_inner();
    let Some(action) = MessageAction::parse(&action) else {
        return error_page(StatusCode::NOT_FOUND, SITE_NAME);
    };
    let (row, token, actor) = match moderated_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let (slug, bearer) = (row.slug.as_str(), Some(token.as_str()));
    let moderation = engine.moderation();
    let outcome = match action {
        MessageAction::Delete => refusal(moderation.delete(slug, bearer, id).await),
        MessageAction::Approve => refusal(moderation.approve(slug, bearer, id).await),
        MessageAction::Reject => refusal(moderation.reject(slug, bearer, id).await),
        MessageAction::Mute(muted) => refusal(moderation.mute_author(slug, bearer, id, muted).await),
        MessageAction::Mark(mark) => {
            let marks = match mark {
                Mark::Answered(answered) => MessageMarks {
                    answered: Some(answered),
                    pinned: None,
                },
                Mark::Pinned(pinned) => MessageMarks {
                    answered: None,
                    pinned: Some(pinned),
                },
            };
            refusal(engine.questions().mark(slug, bearer, id, marks).await)
        }
    };
    match outcome {
        Ok(()) => match origin.from {
            ReturnTo::Room => see_other(&format!("/r/{slug}")),
            ReturnTo::Controls => see_other(&format!("/r/{slug}/moderate")),
        },
        Err((status, _)) if status.is_server_error() => error_page(status, SITE_NAME),
        // Revoked between loading the page and pressing the button: sign in again.
        Err((StatusCode::FORBIDDEN, _)) => sign_in_page(slug, None),
        Err(refused) => render_page(&engine, &row, &token, &actor, Some(refused)).await,
    }
}
