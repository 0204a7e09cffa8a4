//! The language of the request being answered.
//!
//! [`negotiate`] resolves it once per request and runs the rest of the request inside a
//! task-local scope, so that whatever renders text (a page, a form's error, actix's
//! `ResponseError::error_response`, which sees no request) asks [`current`] instead of every
//! handler threading it through.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;

use super::negotiation::{self, COOKIE};
use super::Locale;

/// What a request's rendering needs to know about its language.
#[derive(Debug, Clone)]
pub struct RequestLanguage {
    pub locale: Locale,
    /// The path and query of the page, where the language switcher comes back to.
    pub path: String,
}

tokio::task_local! {
    static LANGUAGE: RequestLanguage;
}

/// The language of the request being answered; English outside of one (workers, tests).
pub fn current() -> Locale {
    LANGUAGE.try_with(|l| l.locale).unwrap_or(Locale::En)
}

/// The path and query of the page being answered (`/` outside of a request).
pub fn current_path() -> String {
    LANGUAGE.try_with(|l| l.path.clone()).unwrap_or_else(|_| "/".to_owned())
}

/// Middleware: resolves the request's language and answers in it, saying which in
/// `Content-Language`.
pub async fn negotiate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let cookie = req.cookie(COOKIE);
    let accept = req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    let locale = negotiation::resolve(cookie.as_ref().map(|c| c.value()), accept);
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path().to_owned(), |pq| pq.as_str().to_owned());
    let mut response = LANGUAGE.scope(RequestLanguage { locale, path }, next.call(req)).await?;
    response
        .headers_mut()
        .insert(header::CONTENT_LANGUAGE, header::HeaderValue::from_static(locale.tag()));
    Ok(response)
}
