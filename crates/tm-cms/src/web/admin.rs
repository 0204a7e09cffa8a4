//! Site admin: sign-in (argon2, signed session cookie naming a revocable session, see
//! `engine::admins`), static pages CRUD, and closing any room. Admin accounts are made with
//! `tm-cms admin create <user>` (password on stdin) and removed with `tm-cms admin delete`.

use actix_web::cookie::SameSite;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;
use tm_core::event::CloseReason;

use super::context::{EngineData, SITE_NAME};
use super::owner::{confirm_close_page, Closer, Confirmation};
use super::view::{error_page, render};
use super::{cookies, security};
use crate::api::request::client_ip;
use crate::engine::admins;

const SESSION_SECS: i64 = 12 * 3600;
/// The signing purpose of `tm_admin` values.
const SESSION_PURPOSE: &str = "admin";

/// The signed-in admin, if the session cookie is signed by us, unexpired and names the
/// admin's current session (see `engine::admins`).
async fn admin(req: &HttpRequest, engine: &EngineData) -> Option<String> {
    let cookie = req.cookie(cookies::ADMIN)?;
    let payload = cookies::verify(
        &engine.keys().admin_cookie,
        SESSION_PURPOSE,
        cookie.value(),
        cookies::now_unix(),
    )?;
    let (nonce, user) = payload.split_once(':')?;
    match engine.admins().session_is_current(user, nonce).await {
        Ok(true) => Some(user.to_owned()),
        Ok(false) => None,
        Err(error) => {
            tracing::warn!(%error, "admin session not checked: database unavailable");
            None
        }
    }
}

/// `error` is the key of its text in the locales.
fn login_page(status: StatusCode, error: Option<&str>) -> HttpResponse {
    let mut ctx = Context::new();
    ctx.insert("error", &error.map(|key| crate::i18n::current().simple(key)));
    render(status, "admin/login.html", ctx, SITE_NAME)
}

fn to_admin() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .finish()
}

/// `GET /admin`.
pub async fn index(req: HttpRequest, engine: EngineData) -> HttpResponse {
    let Some(user) = admin(&req, &engine).await else {
        return login_page(StatusCode::OK, None);
    };
    let pages = match engine.pages().list().await {
        Ok(p) => p,
        Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
    };
    let rooms = match engine.rooms().recent().await {
        Ok(r) => r,
        Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
    };
    let views: Vec<_> = rooms.iter().map(|r| engine.rooms().view(r)).collect();
    let mut ctx = Context::new();
    ctx.insert("admin", &user);
    ctx.insert("pages", &pages);
    ctx.insert("rooms", &views);
    ctx.insert("notice", &Option::<String>::None);
    render(StatusCode::OK, "admin/index.html", ctx, SITE_NAME)
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// `POST /admin/login`: rate-limited per address; the same answer for unknown users and wrong
/// passwords.
pub async fn login(req: HttpRequest, engine: EngineData, form: web::Form<LoginForm>) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    if engine.limiters.join_attempt(&client_ip(&req, &engine), 0).is_err() {
        return login_page(StatusCode::TOO_MANY_REQUESTS, Some("admin-too-many-attempts"));
    }
    let form = form.into_inner();
    let user = form.username.trim();
    let nonce = match engine.admins().sign_in(user, &form.password).await {
        Ok(Some(nonce)) => nonce,
        Ok(None) => return login_page(StatusCode::UNAUTHORIZED, Some("admin-wrong-login")),
        Err(admins::AdminError::Db(e)) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
        Err(error) => {
            tracing::error!(%error, "admin sign-in failed");
            return error_page(StatusCode::INTERNAL_SERVER_ERROR, SITE_NAME);
        }
    };
    let session = cookies::sign(
        &engine.keys().admin_cookie,
        SESSION_PURPOSE,
        &format!("{nonce}:{user}"),
        cookies::now_unix() + SESSION_SECS,
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/admin"))
        .cookie(cookies::build(
            &req,
            cookies::ADMIN.into(),
            session,
            SESSION_SECS,
            SameSite::Strict,
        ))
        .finish()
}

/// `POST /admin/logout`: ends every session of this admin (on every browser), not only this
/// cookie, so a copied cookie dies with it.
pub async fn logout(req: HttpRequest, engine: EngineData) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    if let Some(user) = admin(&req, &engine).await {
        if let Err(e) = engine.admins().end_sessions(&user).await {
            return error_page(crate::errors::db_status(&e).0, SITE_NAME);
        }
    }
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .cookie(cookies::removal(cookies::ADMIN))
        .finish()
}

/// `GET /admin/pages/{slug}` (`new` for a blank form).
pub async fn edit_page(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    if admin(&req, &engine).await.is_none() {
        return login_page(StatusCode::UNAUTHORIZED, None);
    }
    let page = if slug.as_str() == "new" {
        serde_json::json!({"slug": "", "title": "", "body": ""})
    } else {
        match engine.pages().find(&slug).await {
            Ok(Some(p)) => serde_json::json!({"slug": p.slug, "title": p.title, "body": p.body}),
            Ok(None) => return error_page(StatusCode::NOT_FOUND, SITE_NAME),
            Err(e) => return error_page(crate::errors::db_status(&e).0, SITE_NAME),
        }
    };
    let mut ctx = Context::new();
    ctx.insert("page", &page);
    ctx.insert("error", &Option::<String>::None);
    render(StatusCode::OK, "admin/page_edit.html", ctx, SITE_NAME)
}

#[derive(Debug, Deserialize)]
pub struct PageForm {
    slug: String,
    title: String,
    body: String,
}

/// `POST /admin/pages`: create or update.
pub async fn save_page(req: HttpRequest, engine: EngineData, form: web::Form<PageForm>) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    if admin(&req, &engine).await.is_none() {
        return login_page(StatusCode::UNAUTHORIZED, None);
    }
    let form = form.into_inner();
    let slug = form.slug.trim().to_ascii_lowercase();
    let valid_slug = (1..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let title = form.title.trim();
    if !valid_slug || title.is_empty() || title.chars().count() > 200 || form.body.len() > 200_000 {
        let mut ctx = Context::new();
        ctx.insert(
            "page",
            &serde_json::json!({"slug": form.slug, "title": form.title, "body": form.body}),
        );
        ctx.insert("error", &crate::i18n::current().simple("admin-page-invalid"));
        return render(StatusCode::UNPROCESSABLE_ENTITY, "admin/page_edit.html", ctx, SITE_NAME);
    }
    match engine.pages().save(&slug, title, &form.body).await {
        Ok(()) => to_admin(),
        Err(e) => error_page(crate::errors::db_status(&e).0, SITE_NAME),
    }
}

/// `POST /admin/pages/{slug}/delete`.
pub async fn delete_page(req: HttpRequest, engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    if admin(&req, &engine).await.is_none() {
        return login_page(StatusCode::UNAUTHORIZED, None);
    }
    match engine.pages().delete(&slug).await {
        Ok(_) => to_admin(),
        Err(e) => error_page(crate::errors::db_status(&e).0, SITE_NAME),
    }
}

/// `POST /admin/rooms/{slug}/close`. Without `confirmed=yes` (the page's script asks and adds
/// it), the answer is a page that asks first.
pub async fn close_room(
    req: HttpRequest,
    engine: EngineData,
    slug: web::Path<String>,
    form: Option<web::Form<Confirmation>>,
) -> HttpResponse {
    if !security::same_origin(&req) {
        return security::forbidden_cross_site();
    }
    let Some(user) = admin(&req, &engine).await else {
        return login_page(StatusCode::UNAUTHORIZED, None);
    };
    let row = match engine.rooms().find(&slug).await {
        Ok(row) => row,
        Err(_) => return error_page(StatusCode::NOT_FOUND, SITE_NAME),
    };
    if !Confirmation::given(form.as_ref()) {
        return confirm_close_page(&row.slug, Closer::Admin);
    }
    match engine
        .rooms()
        .close(row.id, CloseReason::Admin, &format!("admin:{user}"))
        .await
    {
        Ok(_) => to_admin(),
        Err(e) => error_page(crate::errors::ApiErrorCode::status(&e), SITE_NAME),
    }
}
