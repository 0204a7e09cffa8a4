//! Static pages (`/p/{slug}`, stored by `engine::pages`): Markdown written by admins, rendered with pulldown-cmark and
//! cleaned by ammonia, so even an admin cannot put script on the site.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use tera::Context;

use super::context::{EngineData, SITE_NAME};
use super::view::{error_page, render};

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

/// `GET /p/{slug}`.
pub async fn show(engine: EngineData, slug: web::Path<String>) -> HttpResponse {
    match engine.pages().find(&slug).await {
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
