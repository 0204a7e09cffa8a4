//! The site's static pages: help, about and privacy exist on a fresh install (seeded by a
//! migration that never overwrites an admin's page) and stay editable in the admin area.

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use reqwest::StatusCode;
use tm_cms::engine::db::MIGRATIONS;

use crate::helpers::{page_client, spawn_app, TestApp};
use crate::migrations::{drop_database, fresh_database};

/// The migration that seeds the pages (its directory name without the date).
const SEED: &str = "seed_site_pages";

/// Every `/p/…` address `html` links to.
fn page_links(html: &str) -> Vec<String> {
    let mut links: Vec<String> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.starts_with("/p/"))
        .map(str::to_owned)
        .collect();
    links.sort();
    links.dedup();
    links
}

/// Issue: /p/help, /p/about and /p/privacy were linked from every page but answered 404 on a
/// fresh install.
#[tokio::test]
async fn every_page_linked_from_the_site_exists_on_a_fresh_install() {
    let app = spawn_app().await;
    let home = app.get("/").await.text().await.unwrap();
    let links = page_links(&home);
    assert_eq!(links, ["/p/about", "/p/help", "/p/privacy"], "the footer's links");
    for (link, title, says) in [
        ("/p/help", "Help", "owner link"),
        ("/p/about", "About tm", "GNU Affero General Public License"),
        ("/p/privacy", "Privacy", "tm_pid"),
    ] {
        let page = app.get(link).await;
        assert_eq!(page.status(), StatusCode::OK, "{link}");
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("<h1>{title}</h1>")), "{link}: {html}");
        assert!(html.contains(says), "{link} explains {says:?}: {html}");
    }
    app.stop().await;
}

/// The seed migration's version, as diesel reports applied and reverted migrations.
fn seed_version() -> String {
    use diesel::migration::MigrationSource;
    let migrations = MigrationSource::<diesel::mysql::Mysql>::migrations(&MIGRATIONS).unwrap();
    let seed = migrations
        .iter()
        .find(|m| m.name().to_string().ends_with(SEED))
        .expect("the seed migration");
    seed.name().version().to_string()
}

/// Runs the pending migrations that come before the seed.
async fn migrate_until_seed(url: &str) {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&url).unwrap();
        for migration in conn.pending_migrations(MIGRATIONS).unwrap() {
            if migration.name().to_string().ends_with(SEED) {
                return;
            }
            conn.run_migration(&*migration).unwrap();
        }
        panic!("no migration named *{SEED}");
    })
    .await
    .unwrap();
}

async fn revert_last(url: &str) -> String {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&url).unwrap();
        conn.revert_last_migration(MIGRATIONS).unwrap().to_string()
    })
    .await
    .unwrap()
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct StoredPage {
    #[diesel(sql_type = diesel::sql_types::Text)]
    slug: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
}

async fn stored_pages(url: &str) -> Vec<(String, String)> {
    let mut conn = <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(url)
        .await
        .unwrap();
    let rows: Vec<StoredPage> = diesel::sql_query("SELECT slug, title FROM pages ORDER BY slug")
        .load(&mut conn)
        .await
        .unwrap();
    rows.into_iter().map(|p| (p.slug, p.title)).collect()
}

async fn exec(url: &str, sql: &str) {
    let mut conn = <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(url)
        .await
        .unwrap();
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

/// Seeding inserts a page only where none is: an admin's page at the same address stays. And
/// reverting the seed removes only pages nobody edited since.
#[tokio::test]
async fn seeding_keeps_an_admins_pages_and_reverting_it_keeps_edited_ones() {
    let (db, url) = fresh_database().await;
    migrate_until_seed(&url).await;
    exec(
        &url,
        "INSERT INTO pages (slug, title, body_markdown, updated_at) \
         VALUES ('about', 'About our school', 'Run by the IT club.', UTC_TIMESTAMP(6))",
    )
    .await;
    let applied = tm_cms::engine::db::migrate(&url).await.unwrap();
    assert!(applied.contains(&seed_version()), "{applied:?}");
    let pages = stored_pages(&url).await;
    assert_eq!(
        pages,
        [
            ("about".to_owned(), "About our school".to_owned()),
            ("help".to_owned(), "Help".to_owned()),
            ("privacy".to_owned(), "Privacy".to_owned()),
        ],
        "the admin's about page stays; help and privacy are seeded"
    );

    // An admin edits the help page; reverting the seed removes only the untouched privacy page.
    exec(
        &url,
        "UPDATE pages SET body_markdown = 'Ask the teacher.' WHERE slug = 'help'",
    )
    .await;
    let all_applied = tm_cms::engine::db::migrate(&url).await.unwrap();
    assert!(all_applied.is_empty());
    // The seed is not necessarily the newest migration: revert down to it.
    loop {
        if revert_last(&url).await == seed_version() {
            break;
        }
    }
    let pages = stored_pages(&url).await;
    assert_eq!(
        pages,
        [
            ("about".to_owned(), "About our school".to_owned()),
            ("help".to_owned(), "Help".to_owned()),
        ],
        "edited pages survive a revert"
    );
    drop_database(&db).await;
}

pub(crate) async fn admin_cookie(app: &TestApp) -> String {
    let pool = tm_cms::engine::db::pool(&app.db_url, 1, std::time::Duration::from_secs(10)).unwrap();
    tm_cms::engine::admins::create_or_reset(&pool, "ada", "correct horse battery staple")
        .await
        .unwrap();
    let response = page_client()
        .post(app.url("/admin/login"))
        .form(&[("username", "ada"), ("password", "correct horse battery staple")])
        .send()
        .await
        .unwrap();
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("tm_admin="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .expect("signed in")
}

#[tokio::test]
async fn an_admin_edits_a_seeded_page() {
    let app = spawn_app().await;
    let cookie = admin_cookie(&app).await;
    let listed = page_client()
        .get(app.url("/admin"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listed.contains("href=\"/admin/pages/privacy\""), "{listed}");
    let form = page_client()
        .get(app.url("/admin/pages/privacy"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("tm_pid"), "the seeded text in the editor: {form}");
    let saved = page_client()
        .post(app.url("/admin/pages"))
        .header("Cookie", &cookie)
        .form(&[
            ("slug", "privacy"),
            ("title", "Privacy at our school"),
            ("body", "Logs are kept **7 days**."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = app.get("/p/privacy").await.text().await.unwrap();
    assert!(page.contains("<h1>Privacy at our school</h1>"), "{page}");
    assert!(page.contains("<strong>7 days</strong>"), "{page}");
    assert!(!page.contains("tm_pid"), "the seeded text is replaced: {page}");
    app.stop().await;
}
