//! The migrations are reversible: every `down.sql` undoes its `up.sql`.

use diesel::Connection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use tm_cms::engine::db::MIGRATIONS;

use tm_testkit::database_url_for;

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

/// Every table the migrations create, sorted.
const TABLES: [&str; 13] = [
    "admin_users",
    "message_votes",
    "messages",
    "moderation_log",
    "moderators",
    "mutes",
    "pages",
    "pending_updates",
    "poll_options",
    "poll_votes",
    "polls",
    "room_events",
    "rooms",
];

#[tokio::test]
async fn every_migration_reverts_cleanly_and_applies_again() {
    let db = format!("tm_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(&database_url_for("mysql"))
        .await
        .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {db} CHARACTER SET utf8mb4"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = database_url_for(&db);

    let applied = tm_cms::engine::db::migrate(&url).await.unwrap();
    assert_eq!(applied.len(), migration_count());
    assert_eq!(tables(&url).await, TABLES);

    let blocking_url = url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&blocking_url).unwrap();
        conn.revert_all_migrations(MIGRATIONS).unwrap();
    })
    .await
    .unwrap();
    assert!(tables(&url).await.is_empty());
    assert_eq!(
        tm_cms::engine::db::migrate(&url).await.unwrap().len(),
        migration_count()
    );
    assert_eq!(
        tm_cms::engine::db::migrate(&url).await.unwrap().len(),
        0,
        "nothing left to apply"
    );

    diesel::sql_query(format!("DROP DATABASE {db}"))
        .execute(&mut admin)
        .await
        .unwrap();
}

pub(crate) async fn fresh_database() -> (String, String) {
    let db = format!("tm_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(&database_url_for("mysql"))
        .await
        .unwrap();
    diesel::sql_query(format!("CREATE DATABASE {db} CHARACTER SET utf8mb4"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = database_url_for(&db);
    (db, url)
}

pub(crate) async fn drop_database(db: &str) {
    let mut admin = <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(&database_url_for("mysql"))
        .await
        .unwrap();
    diesel::sql_query(format!("DROP DATABASE {db}"))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// Two instances starting together on a fresh database: without the lock both see five
/// pending migrations and the slower one fails on "table already exists".
#[tokio::test]
async fn two_migrators_started_together_take_turns() {
    let (db, url) = fresh_database().await;
    for round in 0..3 {
        if round > 0 {
            let blocking_url = url.clone();
            tokio::task::spawn_blocking(move || {
                let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::establish(&blocking_url).unwrap();
                conn.revert_all_migrations(MIGRATIONS).unwrap();
            })
            .await
            .unwrap();
        }
        let (first, second) = tokio::join!(tm_cms::engine::db::migrate(&url), tm_cms::engine::db::migrate(&url));
        let mut counts = [first.unwrap().len(), second.unwrap().len()];
        counts.sort_unstable();
        assert_eq!(
            counts,
            [0, migration_count()],
            "round {round}: one applies everything, the other nothing"
        );
        assert_eq!(tables(&url).await, TABLES, "round {round}");
    }
    drop_database(&db).await;
}

/// How many migrations the repository holds (each is a directory under migrations/).
fn migration_count() -> usize {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().is_dir())
        .count()
}

#[derive(diesel::QueryableByName)]
struct Answer {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    answer: Option<i64>,
}

/// While another connection holds the database's migration lock, `migrate` waits for it.
#[tokio::test]
async fn migrate_waits_for_the_migration_lock() {
    let (db, url) = fresh_database().await;
    let mut holder = <AsyncMysqlConnection as diesel_async::AsyncConnection>::establish(&url)
        .await
        .unwrap();
    let held: Answer = diesel::sql_query("SELECT GET_LOCK(CONCAT('tm.migrate.', DATABASE()), 0) AS answer")
        .get_result(&mut holder)
        .await
        .unwrap();
    assert_eq!(held.answer, Some(1));
    let migrator = tokio::spawn({
        let url = url.clone();
        async move { tm_cms::engine::db::migrate(&url).await }
    });
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert!(!migrator.is_finished(), "migrate ran while the lock was held");
    assert!(tables(&url).await.is_empty());
    let _: Answer = diesel::sql_query("SELECT RELEASE_LOCK(CONCAT('tm.migrate.', DATABASE())) AS answer")
        .get_result(&mut holder)
        .await
        .unwrap();
    assert_eq!(migrator.await.unwrap().unwrap().len(), migration_count());
    assert_eq!(tables(&url).await, TABLES);
    drop_database(&db).await;
}
