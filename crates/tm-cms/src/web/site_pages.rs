//! Static pages (`/p/{slug}`): Markdown written by admins, rendered with pulldown-cmark and
//! cleaned by ammonia, so even an admin cannot put script on the site.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;
use tera::Context;

use super::context::{EngineData, SITE_NAME};
use super::view::{error_page, render};
use crate::db::schema::pages;
use crate::db::{DbError, DbPool};

/// A page as stored.
#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = pages, check_for_backend(diesel::mysql::Mysql))]
pub struct PageRow {
    pub id: u64,
    pub slug: String,
    pub title: String,
    #[diesel(column_name = body_markdown)]
    pub body: String,
}

/// Markdown → sanitised HTML.
pub fn render_markdown(markdown: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(markdown, pulldown_cmark::Options::ENABLE_TABLES);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(&html)
        .to_string()
}

pub async fn find(pool: &DbPool, slug: &str) -> Result<Option<PageRow>, DbError> {
    let mut conn = crate::db::conn(pool).await?;
    Ok(pages::table
        .filter(pages::slug.eq(slug))
        .select(PageRow::as_select())
        .first(&mut conn)
        .await
        .optional()?)
}

pub async fn list(pool: &DbPool) -> Result<Vec<PageRow>, DbError> {
    let mut conn = crate::db::conn(pool).await?;
    Ok(pages::table
        .order(pages::slug.asc())
        .select(PageRow::as_select())
        .load(&mut conn)
        .await?)
}

/// Creates or replaces the page at `slug`.
pub async fn save(pool: &DbPool, slug: &str, title: &str, body: &str) -> Result<(), DbError> {
    let mut conn = crate::db::conn(pool).await?;
    let now = crate::engine::clock::now();
    diesel::replace_into(pages::table)
        .values((
            pages::slug.eq(slug),
            pages::title.eq(title),
            pages::body_markdown.eq(body),
            pages::updated_at.eq(now),
        ))
        .execute(&mut conn)
        .await?;
    Ok(())
}

pub async fn delete(pool: &DbPool, slug: &str) -> Result<bool, DbError> {
    let mut conn = crate::db::conn(pool).await?;
    Ok(diesel::delete(pages::table.filter(pages::slug.eq(slug)))
        .execute(&mut conn)
        .await?
        > 0)
}

/// `GET /p/{slug}`.
pub async fn show(engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    match find(engine.pool(), &slug).await {
        Ok(Some(page)) => {
            let mut ctx = Context::new();
            ctx.insert(
                "page",
                &serde_json::json!({"title": page.title, "html": render_markdown(&page.body)}),
            );
            render(StatusCode::OK, "page.html", ctx, SITE_NAME)
        }
        Ok(None) => error_page(StatusCode::NOT_FOUND, SITE_NAME),
        Err(e) => error_page(crate::errors::db_status(&e).0, SITE_NAME),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_script_removed() {
        let html = render_markdown(
            "# Hi\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)>",
        );
        assert!(html.contains("<h1>Hi</h1>"), "{html}");
        assert!(
            !html.contains("<script") && !html.contains("onerror") && !html.contains("javascript:"),
            "{html}"
        );
    }
}
