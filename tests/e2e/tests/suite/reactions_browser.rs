//! Live reactions in real headless Chromium: a participant taps 👍 on the room page and the
//! projector, in another browser, shows it large; the counts are outside every live region.

use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};

use crate::browser::{click, create_through_form, wait_for, wait_live};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_participants_thumbs_up_shows_on_the_projector_in_another_browser() {
    let system = System::start(Topology::default()).await.unwrap();
    let participant = Browser::start(BrowserOptions::default()).await.unwrap();
    let projector = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&participant.client, &system, "browser-reactions").await;
    wait_live(&participant.client).await;
    projector
        .client
        .goto(&format!("{}/r/browser-reactions/projector", system.cms_url(0)))
        .await
        .unwrap();
    // Reactions are not replayed: the projector must be in the room before the tap.
    wait_for(
        &projector.client,
        "the projector in the room (presence 2)",
        "return document.querySelector('[data-presence]')?.textContent === '2 here'",
    )
    .await;

    let thumbs_up = "[data-reactions] button[aria-label='React with 👍']";
    wait_for(
        &participant.client,
        "the reaction buttons shown once live",
        &format!("return document.querySelector(\"{thumbs_up}\")?.offsetParent != null"),
    )
    .await;
    click(&participant.client, thumbs_up).await;

    wait_for(
        &projector.client,
        "👍 1 on the projector",
        "return [...document.querySelectorAll('[data-reaction-counts].large .reaction-count')].some(c => c.textContent === '👍 1')",
    )
    .await;
    wait_for(
        &participant.client,
        "👍 1 on the participant's own page",
        "return [...document.querySelectorAll('[data-reaction-counts] .reaction-count')].some(c => c.textContent === '👍 1')",
    )
    .await;
    let announced = projector
        .client
        .execute(
            "return [...document.querySelectorAll('.reaction-count')].some(c => c.closest('[aria-live]'))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(announced, false, "reaction counts must not be in a live region");
    wait_for(
        &projector.client,
        "the count fading away after a few seconds",
        "return document.querySelectorAll('.reaction-count').length === 0",
    )
    .await;
    participant.close().await.unwrap();
    projector.close().await.unwrap();
    system.shutdown().await.unwrap();
}
