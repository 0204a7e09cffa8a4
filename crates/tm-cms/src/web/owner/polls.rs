//! The owner's polls: open one from the controls page, close it.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{back_to, owned_room, render_controls, ReturnTo, Shown};
use crate::engine::polls::NewPoll;
use crate::errors::ApiErrorCode;
use crate::web::context::{EngineData, SITE_NAME};
use crate::web::security;
use crate::web::view::error_page;

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
