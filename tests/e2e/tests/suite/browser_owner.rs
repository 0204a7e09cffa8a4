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

/// Waits for the browser's own dialog (`window.confirm`) and returns its text.
async fn dialog_text(client: &Client) -> String {
    let deadline = tokio::time::Instant::now() + crate::browser::WAIT;
    loop {
        if let Ok(text) = client.get_alert_text().await {
            return text;
        }
        assert!(tokio::time::Instant::now() < deadline, "no dialog opened");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn room_state(system: &System, slug: &str) -> String {
    let room: serde_json::Value = system
        .http
        .get(format!("{}/api/v1/rooms/{slug}", system.cms_url(0)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    room["state"].as_str().unwrap().to_owned()
}

/// Issue "finish the room UI", items 6 and 8: saving settings says so, the owner keeps the room
/// open longer, "Close the room" and the admin's close ask first (No keeps the room open), and
/// the closed room links its transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_say_saved_and_closing_asks_first_for_the_owner_and_the_admin() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-close";
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &owner.client;
    create_through_form(client, &system, slug).await;
    client
        .goto(&format!("{}/r/{slug}/owner", system.cms_url(0)))
        .await
        .unwrap();

    // An emptied slow-mode field saves as off, and the page says the settings were saved.
    crate::browser::fill(client, "input[name=topic]", "Now with a confirmation").await;
    client
        .find(Locator::Css("input[name=slow_mode_seconds]"))
        .await
        .unwrap()
        .clear()
        .await
        .unwrap();
    client
        .find(Locator::Css("form[action$='/owner/settings'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = wait_for(
        client,
        "the saved notice",
        "return document.querySelector('[data-notice]')?.textContent",
    )
    .await;
    assert_eq!(notice, "Settings saved.");

    // Item 8: the page shows when the room closes, and the owner keeps it open longer.
    let expires = "[data-expires] time";
    let before = client
        .find(Locator::Css(expires))
        .await
        .unwrap()
        .attr("datetime")
        .await
        .unwrap()
        .unwrap();
    client
        .find(Locator::Css("#lifetime"))
        .await
        .unwrap()
        .select_by_value("1w")
        .await
        .unwrap();
    client
        .find(Locator::Css("form[action$='/owner/lifetime'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = wait_for(
        client,
        "the closing time notice",
        "return document.querySelector('[data-notice]')?.textContent.includes('closing time') && document.querySelector('[data-notice]').textContent",
    )
    .await;
    assert_eq!(notice, "New closing time saved: see “Closing time”.");
    let after = client
        .find(Locator::Css(expires))
        .await
        .unwrap()
        .attr("datetime")
        .await
        .unwrap()
        .unwrap();
    assert!(after > before, "a week instead of a day: {before} → {after}");
    let shown = client.find(Locator::Css(expires)).await.unwrap().text().await.unwrap();
    assert!(!shown.contains("UTC"), "in the reader's time: {shown}");

    // Close: the dialog asks; No keeps the room open, Yes closes it.
    let close = "form[action$='/owner/close'] button";
    client.find(Locator::Css(close)).await.unwrap().click().await.unwrap();
    let question = dialog_text(client).await;
    assert!(question.starts_with(&format!("Close {slug} for good?")), "{question}");
    client.dismiss_alert().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // a post would be under way
    assert_eq!(room_state(&system, slug).await, "open", "No keeps the room open");
    client.find(Locator::Css(close)).await.unwrap().click().await.unwrap();
    dialog_text(client).await;
    client.accept_alert().await.unwrap();
    wait_for(
        client,
        "the closed room's owner page",
        "return document.querySelector('main')?.textContent.includes('This room is closed.')",
    )
    .await;
    assert_eq!(room_state(&system, slug).await, "closed");

    // The room page of a closed room links its transcript.
    client.goto(&format!("{}/r/{slug}", system.cms_url(0))).await.unwrap();
    client
        .find(Locator::LinkText("Read the transcript"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        client,
        "the transcript",
        &format!("return location.pathname === '/r/{slug}/transcript'"),
    )
    .await;

    // The admin's close asks too.
    system.create_room("browser-admin-close").await.unwrap();
    crate::admin_cli::create_admin(&system, "grace", "correct horse battery staple");
    client.goto(&format!("{}/admin", system.cms_url(0))).await.unwrap();
    crate::admin_cli::sign_in(client, "grace", "correct horse battery staple").await;
    let admin_close = "form[action='/admin/rooms/browser-admin-close/close'] button";
    client
        .wait()
        .for_element(Locator::Css(admin_close))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let question = dialog_text(client).await;
    assert!(
        question.starts_with("Close browser-admin-close for good?"),
        "{question}"
    );
    client.dismiss_alert().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(room_state(&system, "browser-admin-close").await, "open");
    client
        .find(Locator::Css(admin_close))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    dialog_text(client).await;
    client.accept_alert().await.unwrap();
    wait_for(
        client,
        "the admin page without the close button",
        "return document.readyState === 'complete' && !document.querySelector(\"form[action='/admin/rooms/browser-admin-close/close']\")",
    )
    .await;
    assert_eq!(room_state(&system, "browser-admin-close").await, "closed");
    owner.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// Issue "finish the room UI", item 9: the owner page shows an `<iframe>` snippet for the
/// room's embed view, with a button that copies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_copies_the_embed_code() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-embed";
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &owner.client;
    create_through_form(client, &system, slug).await;
    client
        .goto(&format!("{}/r/{slug}/owner", system.cms_url(0)))
        .await
        .unwrap();
    let code = client
        .find(Locator::Css("#embed-code"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    assert!(
        code.starts_with("<iframe src=\"") && code.contains(&format!("/r/{slug}/embed\"")),
        "{code}"
    );
    assert!(code.contains(&format!("title=\"{slug}: live messages\"")), "{code}");

    let copy = client
        .find(Locator::Css("button[data-copy='embed-code']"))
        .await
        .unwrap();
    assert!(copy.is_displayed().await.unwrap(), "the script shows the button");
    copy.click().await.unwrap();
    let status = wait_for(
        client,
        "the copied status",
        "return document.querySelector('[data-copy-status]').textContent || null",
    )
    .await;
    assert_eq!(status, "Copied.");

    // Paste it somewhere, as the owner would into their own page.
    client
        .execute(
            "const field = document.createElement('textarea');
             field.id = 'pasted';
             document.body.prepend(field);",
            vec![],
        )
        .await
        .unwrap();
    let field = client.find(Locator::Css("#pasted")).await.unwrap();
    field.click().await.unwrap();
    field
        .send_keys(&format!(
            "{}v{}",
            char::from(fantoccini::key::Key::Control),
            char::from(fantoccini::key::Key::Null)
        ))
        .await
        .unwrap();
    let pasted = wait_for(
        client,
        "the pasted code",
        "return document.querySelector('#pasted').value || null",
    )
    .await;
    assert_eq!(pasted.as_str(), Some(code.as_str()), "the clipboard holds the snippet");
    owner.close().await.unwrap();
    system.shutdown().await.unwrap();
}

/// Item 2, approve mode: a post waiting for approval has no event, so the owner page asks for
/// such posts while it is open; they appear with Approve and Reject, and an approval reaches
/// everyone live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_waiting_for_approval_appear_on_the_open_owner_page() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-approve";
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let guest = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&owner.client, &system, slug).await;
    owner
        .client
        .goto(&format!("{}/r/{slug}/owner", system.cms_url(0)))
        .await
        .unwrap();
    owner
        .client
        .find(Locator::Css("select[name=moderation]"))
        .await
        .unwrap()
        .select_by_value("approve")
        .await
        .unwrap();
    owner
        .client
        .find(Locator::Css("form[action$='/owner/settings'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &owner.client,
        "the owner page in approve mode",
        "return !!document.querySelector('[data-pending-url]') && !!document.querySelector('[data-notice]')",
    )
    .await;
    wait_live(&owner.client).await;

    guest
        .client
        .goto(&format!("{}/r/{slug}", system.cms_url(0)))
        .await
        .unwrap();
    wait_live(&guest.client).await;
    post_through_form(&guest.client, "Guest", "please approve me").await;
    wait_for(
        &owner.client,
        "the waiting post on the open owner page, with Approve",
        &has_button_script("please approve me", "/approve"),
    )
    .await;
    let reject = button_on(&owner.client, "please approve me", "/reject").await;
    assert_eq!(
        reject.attr("aria-label").await.unwrap().as_deref(),
        Some("Reject Guest: please approve me")
    );
    button_on(&owner.client, "please approve me", "/approve")
        .await
        .click()
        .await
        .unwrap();
    wait_for(
        &guest.client,
        "the approved post live for the guest",
        "return [...document.querySelectorAll('li.message[id] .body')].some(e => e.textContent === 'please approve me')",
    )
    .await;
    owner.close().await.unwrap();
    guest.close().await.unwrap();
    system.shutdown().await.unwrap();
}
