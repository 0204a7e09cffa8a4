//! The owner's live reactions: which emoji the room offers.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{back_to, owned_room, render_controls, ReturnTo, Shown};
use crate::engine::rooms::UpdateRoom;
use crate::errors::ApiErrorCode;
use crate::web::context::{EngineData, SITE_NAME};
use crate::web::security;
use crate::web::view::error_page;

#[derive(Debug, Deserialize)]
pub struct ReactionsForm {
    /// The emoji separated by spaces, in the order the room page shows them.
    reactions: String,
}

/// `POST /r/{slug}/owner/reactions`: the room's reaction emoji (422 with the form's error when
/// they are not 1 to 8 different emoji).
pub async fn reactions(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<ReactionsForm>,
) -> HttpResponse {
    let update = UpdateRoom {
        reactions: Some(form.reactions.split_whitespace().map(str::to_owned).collect()),
        ..Default::default()
    };
    owner_action!(req, engine, slug, |row, token| engine.rooms().update(
        &row.slug,
        Some(&token),
        update
    ))
}
