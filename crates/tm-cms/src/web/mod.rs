//! The server-rendered site: tera pages that work without JavaScript, plus small scripts that
//! upgrade them: `static/live.js` (live updates, optimistic posts, the owner's buttons on live
//! messages), `localtime.js` (times in the reader's zone), `controls.js` (confirmations and copy
//! buttons), `home.js` (the name hint) and `owner.js` (the owner link's sign-in).
//!
//! Routes (docs/protocol.md "HTML pages", and the forms behind them):
//! `/` · `POST /rooms` · `/rooms/name-check` · `/join` · `/language` · `/r/{slug}` (+ `POST …/messages`, `POST …/unlock`, `POST …/token`) ·
//! `/r/{slug}/projector` · `/r/{slug}/embed` · `/r/{slug}/transcript` (+ `.txt` `.json` `.csv`) ·
//! `/r/{slug}/owner` (+ its actions, `sign-in` and `rotate`, `moderators`) · `/r/{slug}/moderate`
//! (a co-moderator's page, + `sign-in` and message actions) · `/p/{page}` · `/admin` (+ login,
//! pages, rooms) · `/static/*` · `/favicon.ico`.

mod admin;
mod assets;
mod co_moderators;
mod context;
mod cookies;
mod home;
mod language;
mod message_html;
mod owner;
pub mod participant;
mod qr;
mod rooms;
pub mod security;
mod site_pages;
mod source;
mod times;
mod transcript;
mod translate;
mod view;

pub use assets::TEMPLATES;
pub use view::tera;

use actix_web::web;

/// The friendly 404 page, for routes nobody serves.
pub fn not_found_page() -> actix_web::HttpResponse {
    view::error_page(actix_web::http::StatusCode::NOT_FOUND, context::SITE_NAME)
}

/// Registers every page route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let forms = web::FormConfig::default().limit(256 * 1024).error_handler(|err, _| {
        let response = view::error_page(actix_web::http::StatusCode::BAD_REQUEST, context::SITE_NAME);
        actix_web::error::InternalError::from_response(err.to_string(), response).into()
    });
    cfg.app_data(forms)
        .route("/", web::get().to(home::home))
        .route("/rooms", web::post().to(home::create))
        .route("/rooms/name-check", web::get().to(home::name_check))
        .route("/join", web::get().to(home::join_by_name))
        .route("/language", web::get().to(language::choose))
        .route("/static/{name}", web::get().to(assets::serve_static))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .route("/p/{slug}", web::get().to(site_pages::show))
        .route("/source", web::get().to(source::show))
        .route("/r/{slug}", web::get().to(rooms::room))
        .route("/r/{slug}/messages", web::post().to(rooms::post))
        .route("/r/{slug}/unlock", web::post().to(rooms::unlock))
        .route("/r/{slug}/token", web::post().to(rooms::token))
        .route("/r/{slug}/projector", web::get().to(rooms::projector))
        .route("/r/{slug}/embed", web::get().to(rooms::embed))
        .route("/r/{slug}/transcript", web::get().to(transcript::page))
        .route("/r/{slug}/transcript.{format}", web::get().to(transcript::download))
        .route("/r/{slug}/owner", web::get().to(owner::page))
        .route("/r/{slug}/owner/pending", web::get().to(owner::pending))
        .route("/r/{slug}/owner/settings", web::post().to(owner::settings))
        .route("/r/{slug}/owner/lifetime", web::post().to(owner::lifetime))
        .route("/r/{slug}/owner/close", web::post().to(owner::close))
        .route("/r/{slug}/owner/{action:mute|unmute}", web::post().to(owner::mute))
        .route("/r/{slug}/owner/sign-in", web::post().to(owner::sign_in))
        .route("/r/{slug}/owner/rotate", web::post().to(owner::rotate))
        .route(
            "/r/{slug}/owner/messages/{id}/{action}",
            web::post().to(owner::message_action),
        )
        .route("/r/{slug}/owner/polls", web::post().to(owner::open_poll))
        .route("/r/{slug}/owner/polls/{id}/close", web::post().to(owner::close_poll))
        .route("/r/{slug}/owner/reactions", web::post().to(owner::reactions))
        .route("/r/{slug}/owner/moderators", web::post().to(co_moderators::add))
        .route("/r/{slug}/owner/moderators/new", web::get().to(co_moderators::new_link))
        .route(
            "/r/{slug}/owner/moderators/{id}/revoke",
            web::post().to(co_moderators::revoke),
        )
        .route("/r/{slug}/moderate", web::get().to(co_moderators::page))
        .route("/r/{slug}/moderate/sign-in", web::post().to(co_moderators::sign_in))
        .route(
            "/r/{slug}/moderate/messages/{id}/{action}",
            web::post().to(co_moderators::message_action),
        )
        .route("/r/{slug}/owner/{action}", web::post().to(owner::set_state))
        .route("/admin", web::get().to(admin::index))
        .route("/admin/login", web::post().to(admin::login))
        .route("/admin/logout", web::post().to(admin::logout))
        .route("/admin/pages", web::post().to(admin::save_page))
        .route("/admin/pages/{slug}", web::get().to(admin::edit_page))
        .route("/admin/pages/{slug}/delete", web::post().to(admin::delete_page))
        .route("/admin/rooms/{slug}/close", web::post().to(admin::close_room));
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        for locale in crate::i18n::Locale::ALL {
            super::tera(locale).unwrap();
        }
    }
}
