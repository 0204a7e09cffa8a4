//! The owner's actions: pause and resume, closing (asked first), and the buttons on each
//! message (delete, approve, reject, mute and unmute its author, mark answered, pin).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;
use tm_core::event::RoomState;

use super::{back_to, owned_room, render_controls, ActionOrigin, ReturnTo, Shown};
use crate::engine::questions::MessageMarks;
use crate::engine::rooms::UpdateRoom;
use crate::errors::ApiErrorCode;
use crate::web::context::{EngineData, SITE_NAME};
use crate::web::security;
use crate::web::view::{error_page, render};

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

/// `confirmed=yes`: the owner said yes to an action that cannot be undone.
#[derive(Debug, Default, Deserialize)]
pub struct Confirmation {
    #[serde(default)]
    confirmed: String,
}

impl Confirmation {
    pub fn given(form: Option<&web::Form<Confirmation>>) -> bool {
        form.is_some_and(|f| f.confirmed == "yes")
    }
}

/// `POST /r/{slug}/owner/close`. Closing cannot be undone: without `confirmed=yes` (the page's
/// script asks and adds it), the answer is a page that asks first.
pub async fn close(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: Option<web::Form<Confirmation>>,
) -> HttpResponse {
    if !Confirmation::given(form.as_ref()) {
        if !security::same_origin(&req) {
            return security::forbidden_cross_site();
        }
        return match owned_room(&req, &engine, &slug).await {
            Ok((row, _)) => confirm_close_page(&row.slug, Closer::Owner),
            Err(page) => page,
        };
    }
    owner_action!(req, engine, slug, |row, token| engine
        .rooms()
        .close_as(&row.slug, Some(&token)))
}

/// Who is closing a room, which decides where the question page's answers go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    Owner,
    Admin,
}

/// The page that asks before a room is closed (for browsers without the script that asks).
pub fn confirm_close_page(slug: &str, closer: Closer) -> HttpResponse {
    let mut ctx = Context::new();
    ctx.insert("slug", slug);
    ctx.insert("by_admin", &(closer == Closer::Admin));
    render(StatusCode::OK, "confirm_close.html", ctx, SITE_NAME)
}

/// `POST /r/{slug}/owner/messages/{id}/{delete|approve|reject|mute|unmute|answer|unanswer|pin|unpin}`
/// (`?from=room` from the room page). Mute and unmute act on the message's author, whoever or
/// whatever wrote it; answer and pin are the Q&A marks.
pub async fn message_action(
    req: HttpRequest,
    engine: EngineData,
    path: web::Path<(String, u64, String)>,
    origin: web::Query<ActionOrigin>,
) -> HttpResponse {
    let (slug, id, action) = path.into_inner();
    let back = origin.from;
    let moderation = engine.moderation();
    match action.as_str() {
        "delete" => owner_action!(req, engine, slug, back, |row, token| moderation.delete(
            &row.slug,
            Some(&token),
            id
        )),
        "approve" => owner_action!(req, engine, slug, back, |row, token| moderation.approve(
            &row.slug,
            Some(&token),
            id
        )),
        "reject" => owner_action!(req, engine, slug, back, |row, token| moderation.reject(
            &row.slug,
            Some(&token),
            id
        )),
        "mute" | "unmute" => owner_action!(req, engine, slug, back, |row, token| moderation.mute_author(
            &row.slug,
            Some(&token),
            id,
            action == "mute"
        )),
        "answer" | "unanswer" | "pin" | "unpin" => {
            let marks = MessageMarks {
                answered: matches!(action.as_str(), "answer" | "unanswer").then_some(action == "answer"),
                pinned: matches!(action.as_str(), "pin" | "unpin").then_some(action == "pin"),
            };
            owner_action!(req, engine, slug, back, |row, token| engine.questions().mark(
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
pub struct ParticipantForm {
    participant_id: String,
}

/// `POST /r/{slug}/owner/mute` and `/unmute`: by participant id, as the owner page's list of
/// muted people lifts a mute.
pub async fn mute(
    req: HttpRequest,
    engine: EngineData,
    path: web::Path<(String, String)>,
    form: web::Form<ParticipantForm>,
) -> HttpResponse {
    let (slug, action) = path.into_inner();
    let muted = match action.as_str() {
        "mute" => true,
        "unmute" => false,
        _ => return error_page(StatusCode::NOT_FOUND, SITE_NAME),
    };
    let participant = form.into_inner().participant_id;
    owner_action!(req, engine, slug, |row, token| engine.moderation().mute(
        &row.slug,
        Some(&token),
        &participant,
        muted
    ))
}
