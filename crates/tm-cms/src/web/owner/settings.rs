//! The owner's settings form and closing-time form: a refusal shows the page again with the
//! reason and everything as typed; a success says so once.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use tm_core::event::Moderation;

use super::{back_to, owned_room, render_controls, with_notice, Notice, ReturnTo, Shown};
use crate::engine::rooms::{Room, UpdateRoom, MAX_SLOW_MODE_SECONDS};
use crate::errors::ApiErrorCode;
use crate::web::context::{EngineData, SITE_NAME};
use crate::web::security;
use crate::web::view::error_page;

/// The settings form as sent. Every field is text, so that anything typed comes back to the
/// page, with the reason, when it is refused.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct SettingsForm {
    #[serde(default)]
    topic: String,
    #[serde(default)]
    hashtags: String,
    /// Seconds; empty means off.
    #[serde(default)]
    slow_mode_seconds: String,
    #[serde(default)]
    moderation: String,
    /// The word filter, one word or phrase per line (blank lines are skipped).
    #[serde(default)]
    blocked_words: String,
}

impl SettingsForm {
    /// The form filled in with the room's current settings.
    pub(super) fn of(room: &Room) -> Self {
        SettingsForm {
            topic: room.topic.clone(),
            hashtags: room.hashtags.join(" "),
            slow_mode_seconds: room.slow_mode_seconds.to_string(),
            moderation: match room.moderation {
                Moderation::Approve => "approve",
                Moderation::Post => "post",
            }
            .to_owned(),
            blocked_words: room.blocked_words.as_deref().unwrap_or_default().join("\n"),
        }
    }

    /// The update it asks for, or why the form cannot be read.
    fn update(&self) -> Result<UpdateRoom, String> {
        let slow_mode = self.slow_mode_seconds.trim();
        let slow_mode_seconds = if slow_mode.is_empty() {
            0 // an emptied field turns slow mode off
        } else {
            slow_mode
                .parse::<u32>()
                .ok()
                .filter(|secs| *secs <= MAX_SLOW_MODE_SECONDS)
                .ok_or_else(|| {
                    crate::i18n::current().text(
                        "owner-slow-mode-invalid",
                        Some(&crate::i18n::args([("max", MAX_SLOW_MODE_SECONDS.to_string().into())])),
                    )
                })?
        };
        let moderation = match self.moderation.as_str() {
            "approve" => Moderation::Approve,
            _ => Moderation::Post,
        };
        Ok(UpdateRoom {
            topic: Some(self.topic.clone()),
            slow_mode_seconds: Some(slow_mode_seconds),
            moderation: Some(moderation),
            hashtags: Some(
                self.hashtags
                    .split([' ', ','])
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ),
            blocked_words: Some(self.blocked_words.lines().map(str::to_owned).collect()),
            ..UpdateRoom::default()
        })
    }
}

/// `POST /r/{slug}/owner/settings`: saves and says so; a refusal shows the page again with the
/// reason and everything as typed.
pub async fn settings(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<SettingsForm>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let (row, token) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let form = form.into_inner();
    let refused = |status: StatusCode, reason: String| Shown {
        error: Some((status, reason)),
        settings: Some(&form),
        ..Shown::default()
    };
    let update = match form.update() {
        Ok(update) => update,
        Err(reason) => {
            return render_controls(&engine, &row, &token, refused(StatusCode::UNPROCESSABLE_ENTITY, reason)).await
        }
    };
    match engine.rooms().update(&row.slug, Some(&token), update).await {
        Ok(_) => with_notice(&req, back_to(ReturnTo::Controls, &row.slug), Notice::SettingsSaved),
        Err(error) if error.status().is_server_error() => error_page(error.status(), SITE_NAME),
        Err(error) => render_controls(&engine, &row, &token, refused(error.status(), capitalized(&error))).await,
    }
}

#[derive(Debug, Deserialize)]
pub struct LifetimeForm {
    #[serde(default)]
    lifetime: String,
}

/// `POST /r/{slug}/owner/lifetime`: the room now closes this long from now (`lifetime` as at
/// creation: `2h`, `1d`, `1w`, `1m`, `1y`), and the page says so.
pub async fn lifetime(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: web::Form<LifetimeForm>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let (row, token) = match owned_room(&req, &engine, &slug).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let update = UpdateRoom {
        lifetime: Some(form.into_inner().lifetime),
        ..UpdateRoom::default()
    };
    match engine.rooms().update(&row.slug, Some(&token), update).await {
        Ok(_) => with_notice(&req, back_to(ReturnTo::Controls, &row.slug), Notice::LifetimeSet),
        Err(error) if error.status().is_server_error() => error_page(error.status(), SITE_NAME),
        Err(error) => render_controls(&engine, &row, &token, Shown::refused(&error)).await,
    }
}

/// An engine error's text as a sentence for the page.
fn capitalized(error: &impl std::fmt::Display) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str().trim_end_matches('.')),
        None => text,
    }
}
