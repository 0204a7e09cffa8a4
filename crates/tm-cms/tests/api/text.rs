//! Issue 13, text: joiners that join are accepted, bidi controls are not, and ingested posts
//! are cleaned by the same filter instead of refused.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use time::OffsetDateTime;
use tm_cms::engine::db::schema::messages;
use tm_core::event::{Envelope, IngestItem, IngestSource};
use tm_testkit::wait_until_async;

use crate::helpers::{error_code, spawn_app, TestApp, PATIENCE};

#[tokio::test]
async fn emoji_sequences_and_persian_pass_while_bidi_overrides_do_not() {
    let app = spawn_app().await;
    let room = app.create_room("joiners").await;
    let coder = "👩\u{200D}💻";
    let persian = "می\u{200C}خواهم";
    let posted = app
        .post_message(&room.slug, persian, &format!("{coder} {persian}"))
        .await;
    assert_eq!(posted.status(), StatusCode::CREATED);
    let page = app.messages(&room.slug, "").await;
    let stored = page["messages"][0].clone();
    assert_eq!(stored["body"], format!("{coder} {persian}"), "{page}");
    assert_eq!(stored["nickname"], persian);

    for (nickname, body, code) in [
        ("Ada", "\u{202E}gnp.exe", "invalid_body"),
        ("Ada", "A\u{200D}B", "invalid_body"),
        ("A\u{2066}da", "hello", "invalid_nickname"),
    ] {
        let refused = app.post_message(&room.slug, nickname, body).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body:?}");
        assert_eq!(error_code(refused).await, code);
    }
    app.stop().await;
}

async fn stored(app: &TestApp, room_id: u64) -> Vec<(String, String)> {
    messages::table
        .filter(messages::room_id.eq(room_id))
        .select((messages::nickname, messages::body))
        .load(&mut app.db().await)
        .await
        .unwrap()
}

#[tokio::test]
async fn ingested_author_names_and_text_are_cleaned_not_refused() {
    let app = spawn_app().await;
    let room = app.create_room("cleaned").await;
    let item = Envelope::new(
        "tm-ingest",
        IngestItem {
            source: IngestSource::Mastodon,
            external_id: "9001".into(),
            room_ids: vec![room.id],
            author: "ev\u{202E}il\u{200B}@example.social 👩\u{200D}💻".into(),
            author_id: None,
            text: "deal\u{2066}s at evil\u{202E}gnp.exe\nsecond line".into(),
            url: "https://example.social/@evil/9001".into(),
            posted_at: OffsetDateTime::now_utc(),
        },
    );
    app.bus.publisher().await.unwrap().publish(&item).await.unwrap();
    wait_until_async(PATIENCE, "the toot is stored", || async {
        !stored(&app, room.id).await.is_empty()
    })
    .await;
    let rows = stored(&app, room.id).await;
    assert_eq!(
        rows,
        [(
            "evil@example.social 👩\u{200D}💻".to_owned(),
            "deals at evilgnp.exe\nsecond line".to_owned()
        )]
    );
    app.stop().await;
}
