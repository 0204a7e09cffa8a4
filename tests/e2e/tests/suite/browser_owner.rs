//! The owner's side of the web UI in a real headless Chromium: the buttons on each message, on
//! messages that arrive live too, on the room page and on the owner controls, which update live.

use fantoccini::{elements::Element, Client, Locator};
use serde_json::json;
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};

use crate::browser::{create_through_form, post_through_form, wait_for, wait_live};

/// The button of the owner form whose action ends in `action` on the message reading `body`.
async fn button_on(client: &Client, body: &str, action: &str) -> Element {
    let xpath = format!(
        "//li[contains(@class, 'message')][span[@class='body'][. = '{body}']]\
         //form[substring(@action, string-length(@action) - {}) = '{action}']/button",
        action.chars().count() - 1
    );
    client.find(Locator::XPath(&xpath)).await.unwrap()
}

/// Whether the message reading `body` is on the page with an owner button for `action`.
fn has_button_script(body: &str, action: &str) -> String {
    format!(
        "const li = [...document.querySelectorAll('li.message')].find(e => e.querySelector('.body')?.textContent === {body});
         return !!li?.querySelector({selector});",
        body = json!(body),
        selector = json!(format!("form[action$=\"{action}\"] button")),
    )
}

/// Issue "finish the room UI", items 1 and 2: the room page's Mute works (it sent an empty
/// participant id), there is an Unmute, messages arriving live get the owner's buttons, and the
/// owner page shows new messages live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_mutes_and_deletes_live_messages_from_the_room_and_owner_pages() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-moderate";
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let guest = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&owner.client, &system, slug).await;
    guest
        .client
        .goto(&format!("{}/r/{slug}", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(&owner.client).await;
    wait_live(&guest.client).await;

    // A message arriving live on the room page gets the owner's buttons, labelled with it.
    post_through_form(&guest.client, "Guest", "first from the guest").await;
    wait_for(
        &owner.client,
        "the owner's buttons on a live message",
        &has_button_script("first from the guest", "/mute?from=room"),
    )
    .await;
    let mute = button_on(&owner.client, "first from the guest", "/mute?from=room").await;
    assert_eq!(mute.text().await.unwrap(), "Mute Guest");
    let delete = button_on(&owner.client, "first from the guest", "/delete?from=room").await;
    assert_eq!(
        delete.attr("aria-label").await.unwrap().as_deref(),
        Some("Delete Guest: first from the guest")
    );

    // Mute from the room page: back on the room page, the guest's next post is refused.
    mute.click().await.unwrap();
    wait_for(
        &owner.client,
        "the room page again, offering Unmute",
        &has_button_script("first from the guest", "/unmute?from=room"),
    )
    .await;
    let unmute = button_on(&owner.client, "first from the guest", "/unmute?from=room").await;
    assert_eq!(unmute.text().await.unwrap(), "Unmute Guest");
    post_through_form(&guest.client, "Guest", "am I muted?").await;
    wait_for(
        &guest.client,
        "the guest's post refused as muted",
        "return !!document.querySelector('li.message.rejected[data-rejected=muted]')",
    )
    .await;

    // The owner page is live: a new message appears with its buttons, and Delete works on it.
    owner
        .client
        .goto(&format!("{}/r/{slug}/owner", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(&owner.client).await;
    let muted = owner
        .client
        .find(Locator::Css("ul.mutes"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(muted.contains("Guest"), "the muted list: {muted}");
    system.post_http(slug, "Api", "from the api").await.unwrap();
    wait_for(
        &owner.client,
        "a new message live on the owner page, with its buttons",
        &has_button_script("from the api", "/delete"),
    )
    .await;
    wait_for(
        &guest.client,
        "the new message on the guest's page",
        "return [...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'from the api')",
    )
    .await;
    button_on(&owner.client, "from the api", "/delete")
        .await
        .click()
        .await
        .unwrap();
    wait_for(
        &guest.client,
        "the deletion on the guest's page",
        "return ![...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'from the api')",
    )
    .await;

    // Unmute from the owner page's list.
    wait_for(
        &owner.client,
        "the owner page after the delete",
        "return document.readyState === 'complete' && !!document.querySelector('ul.mutes form button')",
    )
    .await;
    owner
        .client
        .find(Locator::Css("ul.mutes form[action$='/owner/unmute'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &owner.client,
        "nobody muted",
        "return document.querySelector('ul.mutes')?.textContent.includes('Nobody is muted.')",
    )
    .await;
    owner.close().await.unwrap();
    guest.close().await.unwrap();
    system.shutdown().await.unwrap();
}
