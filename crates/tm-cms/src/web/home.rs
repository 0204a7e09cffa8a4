//! The home page: "join a room" by name, the create form and its name check.

use actix_web::cookie::SameSite;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;
use tm_core::RoomSlug;

use super::context::{EngineData, SITE_NAME};
use super::view::{error_page, render};
use super::{cookies, security};
use crate::api::request::client_ip;
use crate::engine::rooms::{CreateRoom, RoomError};
use crate::errors::ApiErrorCode;

/// The lifetimes a room may be given (creation) or given again (the owner page), with labels.
pub(super) fn lifetimes() -> Vec<serde_json::Value> {
    let locale = crate::i18n::current();
    ["2h", "1d", "1w", "1m", "1y"]
        .iter()
        .map(|value| serde_json::json!({"value": value, "label": locale.simple(&format!("lifetime-{value}"))}))
        .collect()
}

/// `GET /`.
pub async fn home() -> HttpResponse {
    let mut context = Context::new();
    context.insert("lifetimes", &lifetimes());
    context.insert("form", &serde_json::json!({}));
    context.insert("join", &serde_json::json!({}));
    render(StatusCode::OK, "home.html", context, SITE_NAME)
}

#[derive(Debug, Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    room: String,
}

/// `GET /join?room=…`: the home page's "join a room" box. Takes a room's name or any link into
/// it (`https://tm.example/r/physics-101/projector`), and goes to the room (a closed one shows
/// its closed page, with the transcript). An unknown or malformed name comes back to the home
/// page with the reason, the typed text kept.
pub async fn join_by_name(engine: EngineData, form: web::Query<JoinForm>) -> HttpResponse {
    let typed = form.into_inner().room;
    let refused = |status: StatusCode, reason: String| {
        let mut context = Context::new();
        context.insert("lifetimes", &lifetimes());
        context.insert("form", &serde_json::json!({}));
        context.insert("join", &serde_json::json!({"room": typed, "error": reason}));
        render(status, "home.html", context, SITE_NAME)
    };
    let name = room_name_in(&typed);
    let slug = match RoomSlug::parse(name) {
        Ok(slug) => slug,
        Err(_) if name.is_empty() => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::i18n::current().simple("join-type-a-name"),
            )
        }
        Err(error) => {
            return refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::i18n::current().text(
                    "join-not-a-name",
                    Some(&crate::i18n::args([(
                        "reason",
                        crate::i18n::error_message(error.code(), &error.to_string(), None).into(),
                    )])),
                ),
            )
        }
    };
    match engine.rooms().find(slug.as_str()).await {
        Ok(row) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/r/{}", row.slug)))
            .finish(),
        Err(RoomError::NotFound) => refused(
            StatusCode::NOT_FOUND,
            crate::i18n::current().text(
                "join-no-such-room",
                Some(&crate::i18n::args([("slug", slug.as_str().to_owned().into())])),
            ),
        ),
        Err(error) => error_page(error.status(), SITE_NAME),
    }
}

/// The room name in what someone typed into the join box: the name itself, or the segment after
/// `/r/` in a link to the room or one of its pages.
fn room_name_in(typed: &str) -> &str {
    let typed = typed.trim();
    let after_r = typed.rsplit_once("/r/").map_or(typed, |(_, rest)| rest);
    let name = after_r.split(['/', '?', '#']).next().unwrap_or_default();
    name.trim()
}

/// `GET /rooms/name-check?name=…`: the create form's live hint. `{"name", "available"}`, or 422
/// with the reason when the name breaks a rule.
pub async fn name_check(engine: EngineData, query: web::Query<NameQuery>) -> HttpResponse {
    match engine.rooms().name_check(&query.name).await {
        Ok(check) => HttpResponse::Ok().json(check),
        Err(error) => crate::errors::respond(&error),
    }
}

#[derive(Debug, Deserialize)]
pub struct NameQuery {
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
pub struct CreateForm {
    name: String,
    lifetime: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    hashtags: String,
    #[serde(default)]
    password: String,
}

/// `POST /rooms`: creates the room, keeps the owner token in a cookie and shows the owner link
/// once on the room page.
pub async fn create(req: HttpRequest, engine: EngineData, form: web::Form<CreateForm>) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let form = form.into_inner();
    let hashtags: Vec<String> = form
        .hashtags
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    let request = CreateRoom {
        name: form.name.clone(),
        lifetime: form.lifetime.clone(),
        topic: Some(form.topic.clone()),
        hashtags: Some(hashtags),
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        max_length: None,
    };
    match engine.rooms().create(request, &client_ip(&req, &engine)).await {
        Ok(created) => {
            let owner_link = super::owner::owner_link(&created.room.url, &created.owner_token);
            let year = 366 * 24 * 3600;
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/r/{}", created.room.slug)))
                .cookie(cookies::build(
                    &req,
                    cookies::owner_cookie_name(created.room.id),
                    created.owner_token,
                    year,
                    SameSite::Lax,
                ))
                .cookie(cookies::build(
                    &req,
                    cookies::FLASH_OWNER.into(),
                    owner_link,
                    300,
                    SameSite::Strict,
                ))
                .finish()
        }
        Err(error) => {
            let status = error.status();
            if status.is_server_error() {
                return error_page(status, SITE_NAME);
            }
            let mut context = Context::new();
            context.insert("lifetimes", &lifetimes());
            context.insert("join", &serde_json::json!({}));
            context.insert("error", &crate::errors::message(&error));
            context.insert(
                "form",
                &serde_json::json!({"name": form.name, "lifetime": form.lifetime, "topic": form.topic, "hashtags": form.hashtags}),
            );
            let mut page = render(status, "home.html", context, SITE_NAME);
            if let Some(secs) = error.retry_after() {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
            }
            page
        }
    }
}

#[cfg(test)]
mod tests {
    use super::room_name_in;

    #[test]
    fn the_join_box_takes_a_name_or_a_link_into_the_room() {
        for typed in [
            "physics-101",
            "  physics-101 ",
            "/r/physics-101",
            "https://tm.example/r/physics-101",
            "tm.example/r/physics-101/projector",
            "https://tm.example/r/physics-101?x=1#m3",
        ] {
            assert_eq!(room_name_in(typed), "physics-101", "{typed}");
        }
        assert_eq!(room_name_in("Physics-101"), "Physics-101", "case is folded by RoomSlug");
        assert_eq!(room_name_in(""), "");
    }
}
