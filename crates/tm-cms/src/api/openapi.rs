//! The OpenAPI 3.1 description of the JSON API, generated from the handlers' annotations and
//! served at `/api/v1/openapi.json`.
//!
//! It lists every status an operation can answer, not only its successes: the engine's errors
//! (each enum's `ApiErrorCode::status`), the extractors' (`api::configure`'s error handlers: 400
//! `invalid_json`/`invalid_query`, 413, 415, 422 `invalid_request`, 404 for a path that does
//! not parse) and 503 `unavailable` (every operation reads the database). A 500 is a bug and
//! is not part of the contract. The error answers that many operations share are the reusable
//! responses below.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::schemas::{InvalidJson, InvalidQuery, NotOwner, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use super::{join, messages, moderation, moderators, polls, questions, rooms};

#[derive(OpenApi)]
#[openapi(
    info(title = "tm-cms JSON API", description = "Live rooms: see docs/protocol.md and docs/api.md."),
    paths(
        rooms::create, rooms::get, rooms::update, rooms::close, rooms::rotate_owner_token,
        messages::list, messages::post, messages::delete, messages::events,
        join::join,
        moderation::mute, moderation::unmute, moderation::pending, moderation::approve,
        moderation::reject, moderation::audit,
        moderators::create, moderators::list, moderators::revoke,
        questions::vote, questions::unvote, questions::mark,
        polls::open, polls::list, polls::vote, polls::close,
    ),
    components(
        schemas(crate::errors::ErrorBody, crate::errors::ErrorDetail),
        responses(InvalidJson, InvalidQuery, PayloadTooLarge, UnsupportedMediaType, NotOwner, Unavailable),
    ),
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

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
        found
    }

    fn statuses(operation: &Value) -> Vec<&str> {
        operation["responses"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    /// Issue 19: schemathesis refused 14 of 15 operations ("Path parameter slug is not defined").
    #[test]
    fn every_path_parameter_is_declared() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (method, path, operation) in operations(&doc) {
            let mut in_path: Vec<&str> = path
                .split('/')
                .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let mut declared: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|params| {
                    params
                        .iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            in_path.sort();
            declared.sort();
            assert_eq!(declared, in_path, "{method} {path}");
        }
    }

    /// Issue 19: 400 `invalid_json` and 415 `unsupported_media_type` were answered but not
    /// documented. Every operation with a body documents what its extractor answers, and every
    /// one documents 503 (each reads the database).
    #[test]
    fn every_operation_documents_the_malformed_request_and_unavailable_answers() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        for (method, path, operation) in operations(&doc) {
            let statuses = statuses(&operation);
            assert!(statuses.contains(&"503"), "{method} {path}: {statuses:?}");
            if path.contains("{id}") {
                assert!(statuses.contains(&"404"), "{method} {path}: a non-numeric id is a 404");
            }
            if operation.get("requestBody").is_some() {
                // /join parses its optional body itself, whatever the content type.
                let json_only = !path.ends_with("/join");
                for status in ["400", "413", "422"].into_iter().chain(json_only.then_some("415")) {
                    assert!(
                        statuses.contains(&status),
                        "{method} {path} lacks {status}: {statuses:?}"
                    );
                }
            }
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    let body = match response.get("$ref") {
                        Some(reference) => {
                            let name = reference.as_str().unwrap().rsplit('/').next().unwrap();
                            doc["components"]["responses"][name].clone()
                        }
                        None => response.clone(),
                    };
                    assert_eq!(
                        body["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }

    /// Issue 19: the message schema was a free object. Its fields are typed now.
    #[test]
    fn messages_and_rooms_have_typed_schemas() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        let message = &schemas["Message"]["properties"];
        assert_eq!(message["tokens"]["items"]["$ref"], "#/components/schemas/Token");
        assert_eq!(message["kind"]["$ref"], "#/components/schemas/MessageKind");
        let kinds: Vec<&str> = schemas["MessageKind"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["post", "tweet", "toot", "bluesky", "system"]);
        let token_types: Vec<&str> = schemas["Token"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|variant| variant["properties"]["type"]["enum"][0].as_str().unwrap())
            .collect();
        assert_eq!(token_types, ["text", "url", "mention", "hashtag"]);
        assert_eq!(
            schemas["MessageView"]["allOf"][0]["$ref"], "#/components/schemas/Message",
            "{}",
            schemas["MessageView"]
        );
        assert_eq!(
            schemas["Room"]["properties"]["state"]["$ref"],
            "#/components/schemas/RoomState"
        );
        assert_eq!(
            schemas["Room"]["properties"]["moderation"]["$ref"],
            "#/components/schemas/Moderation"
        );
    }
}
