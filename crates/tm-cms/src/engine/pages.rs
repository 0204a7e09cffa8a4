//! The site's static pages (`/p/{slug}`): Markdown written by admins, stored as written
//! (the web layer renders and sanitises it).

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde::Serialize;

use super::clock;
use super::db::schema::pages;
use super::db::DbError;
use super::Pages;

/// A page as stored.
#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = pages, check_for_backend(diesel::mysql::Mysql))]
pub struct SitePage {
    pub id: u64,
    pub slug: String,
    pub title: String,
    #[diesel(column_name = body_markdown)]
    pub body: String,
}

impl Pages<'_> {
    pub async fn find(&self, slug: &str) -> Result<Option<SitePage>, DbError> {
        let mut conn = self.conn().await?;
        Ok(pages::table
            .filter(pages::slug.eq(slug))
            .select(SitePage::as_select())
            .first(&mut conn)
            .await
            .optional()?)
    }

    /// Every page, by slug.
    pub async fn list(&self) -> Result<Vec<SitePage>, DbError> {
        let mut conn = self.conn().await?;
        Ok(pages::table
            .order(pages::slug.asc())
            .select(SitePage::as_select())
            .load(&mut conn)
            .await?)
    }

    /// Creates or replaces the page at `slug`.
    pub async fn save(&self, slug: &str, title: &str, body: &str) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        diesel::replace_into(pages::table)
            .values((
                pages::slug.eq(slug),
                pages::title.eq(title),
                pages::body_markdown.eq(body),
                pages::updated_at.eq(clock::now()),
            ))
            .execute(&mut conn)
            .await?;
        Ok(())
    }

    /// True if there was a page at `slug`.
    pub async fn delete(&self, slug: &str) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        Ok(diesel::delete(pages::table.filter(pages::slug.eq(slug)))
            .execute(&mut conn)
            .await?
            > 0)
    }
}
