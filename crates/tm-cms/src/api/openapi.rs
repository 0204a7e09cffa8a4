//! The OpenAPI 3 description of the JSON API, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{join, messages, moderation, rooms};

#[derive(OpenApi)]
#[openapi(
    info(title = "tm-cms JSON API", description = "Live rooms: see docs/protocol.md and docs/api.md."),
    paths(
        rooms::create, rooms::get, rooms::update, rooms::close, rooms::rotate_owner_token,
        messages::list, messages::post, messages::delete, messages::events,
        join::join,
        moderation::mute, moderation::unmute, moderation::pending, moderation::approve,
        moderation::reject, moderation::audit,
    ),
    components(schemas(crate::errors::ErrorBody, crate::errors::ErrorDetail)),
    modifiers(&OwnerToken)
)]
pub struct ApiDoc;

struct OwnerToken;

impl Modify for OwnerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for scheme in ["owner_token", "join_token"] {
            components.add_security_scheme(
                scheme,
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
