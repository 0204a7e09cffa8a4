//! The home page in a real headless Chromium: the "join a room" box and the create form's name
//! hint.

use fantoccini::{key::Key, Locator};
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};

use crate::browser::{fill, wait_for};

/// Issue "finish the room UI", item 7: the home page had no "join a room by name" box
/// (TodaysMeet's most requested fix), and its name hint called a closed room's name taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_a_room_by_name_from_the_home_page_and_reuse_a_closed_rooms_name() {
    let system = System::start(Topology::default()).await.unwrap();
    system.create_room("browser-join").await.unwrap();
    let old = system.create_room("browser-reuse").await.unwrap();
    let closed = system
        .http
        .post(format!("{}/api/v1/rooms/browser-reuse/close", system.cms_url(0)))
        .bearer_auth(old["owner_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status().as_u16(), 200);
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &browser.client;
    let home = format!("{}/", system.cms_url(0));

    // Type the name (any case) and press Enter: the room opens.
    client.goto(&home).await.unwrap();
    let input = client.find(Locator::Css("#join-room")).await.unwrap();
    input
        .send_keys(&format!("Browser-Join{}", char::from(Key::Enter)))
        .await
        .unwrap();
    wait_for(
        client,
        "the room page",
        "return location.pathname === '/r/browser-join'",
    )
    .await;

    // A name nobody uses: back on the home page, told why, with the name still in the box.
    client.goto(&home).await.unwrap();
    fill(client, "#join-room", "browser-nobody").await;
    client
        .find(Locator::Css("form[action='/join'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = wait_for(
        client,
        "the join error",
        "return document.querySelector('#join-error')?.textContent",
    )
    .await;
    assert_eq!(
        error,
        "There is no room named browser-nobody. Check the spelling with whoever gave you the name."
    );
    let kept = client
        .find(Locator::Css("#join-room"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("browser-nobody"));

    // The create form's hint: a closed room's name is free, an open room's is taken.
    fill(client, "input[data-name-check]", "browser-reuse").await;
    let hint = wait_for(
        client,
        "the hint for a closed room's name",
        "const t = document.querySelector('[data-name-hint]').textContent; return t.includes('browser-reuse') && t",
    )
    .await;
    assert_eq!(hint, "/r/browser-reuse is free.");
    fill(client, "input[data-name-check]", "browser-join").await;
    let hint = wait_for(
        client,
        "the hint for an open room's name",
        "const t = document.querySelector('[data-name-hint]').textContent; return t.includes('browser-join') && t",
    )
    .await;
    assert_eq!(hint, "/r/browser-join is taken while that room is open.");
    fill(client, "input[data-name-check]", "admin").await;
    let hint = wait_for(
        client,
        "the hint for a reserved name",
        "const t = document.querySelector('[data-name-hint]').textContent; return t.includes('admin') && t",
    )
    .await;
    assert_eq!(hint, "The room name \"admin\" is reserved.");
    browser.close().await.unwrap();
    system.shutdown().await.unwrap();
}
