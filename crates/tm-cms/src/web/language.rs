//! `GET /language?lang=de&next=/r/physics`: the language switcher (a form in every page's
//! footer, working without JavaScript). Remembers the choice in the `tm_lang` cookie for a year
//! and goes back to the page it came from.

use actix_web::cookie::SameSite;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::cookies;
use crate::i18n::negotiation::COOKIE;
use crate::i18n::Locale;

/// How long the choice is kept.
const REMEMBER_SECS: i64 = 365 * 24 * 3600;

#[derive(Debug, Deserialize)]
pub struct Choice {
    lang: String,
    #[serde(default)]
    next: String,
}

/// `GET /language`: an unknown language changes nothing.
pub async fn choose(req: HttpRequest, choice: web::Query<Choice>) -> HttpResponse {
    let mut response = HttpResponse::SeeOther();
    response.insert_header((header::LOCATION, local_path(&choice.next)));
    if let Some(locale) = Locale::from_tag(&choice.lang) {
        response.cookie(cookies::build(
            &req,
            COOKIE.to_owned(),
            locale.tag().to_owned(),
            REMEMBER_SECS,
            SameSite::Lax,
        ));
    }
    response.finish()
}

/// `next` if it is a path on this site, else `/`: the switcher must not become an open
/// redirect (`//evil.example`, `https://…`, `/\evil.example` all leave the site).
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        assert_eq!(local_path("/r/physics?x=1"), "/r/physics?x=1");
        assert_eq!(local_path(""), "/");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/r/x\r\nSet-Cookie: a=b"), "/");
    }
}
