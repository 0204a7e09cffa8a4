//! The migrations are reversible: every `down.sql` undoes its `up.sql`.

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use tm_cms::db::MIGRATIONS;

use crate::helpers::MARIADB;

#[derive(diesel::QueryableByName)]
struct Table {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

async fn tables(url: &str) -> Vec<String> {
    let mut conn = <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(url)
        .await
        .unwrap();
    let rows: Vec<Table> = diesel::sql_query(
        "SELECT CAST(table_name AS CHAR) AS name FROM information_schema.tables \
         WHERE table_schema = DATABASE() AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut names: Vec<String> = rows.into_iter().map(|t| t.name).collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_migration_reverts_cleanly_and_applies_again() {
    let db = format!("tm_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin =
        <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(&format!("mysql://root@{MARIADB}/mysql"))
            .await
            .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {db} CHARACTER SET utf8mb4"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = format!("mysql://root@{MARIADB}/{db}");

    let applied = tm_cms::db::migrate(&url).await.unwrap();
    assert_eq!(applied.len(), 6);
    assert_eq!(
        tables(&url).await,
        [
            "admin_users",
            "messages",
            "moderation_log",
            "mutes",
            "pages",
            "room_events",
            "rooms"
        ]
    );

    let blocking_url = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&blocking_url).unwrap();
        conn.revert_all_migrations(MIGRATIONS).unwrap();
    })
    .await
    .unwrap();
    assert!(tables(&url).await.is_empty());
    assert_eq!(tm_cms::db::migrate(&url).await.unwrap().len(), 6);
    assert_eq!(
        tm_cms::db::migrate(&url).await.unwrap().len(),
        0,
        "nothing left to apply"
    );

    diesel::sql_query(format!("DROP DATABASE {db}"))
        .execute(&mut admin)
        .await
        .unwrap();
}
