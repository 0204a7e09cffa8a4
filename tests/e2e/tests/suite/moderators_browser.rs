//! Co-moderators in real headless Chromium (the issue's test: "a moderator link can delete but
//! not close"). The owner adds a moderator on the owner page and passes the link on; the
//! moderator's browser signs in through the link's fragment, deletes a message from the
//! moderator page and another from a live message's buttons on the room page (another browser
//! sees both go, live), finds no way to close the room on their page, and is refused when they
//! try the owner's form and the API anyway. The owner's audit log names the moderator.

use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};

use crate::browser::{click, create_through_form, fill, post_through_form, wait_for, wait_live};

/// The status of a same-origin POST from `client`'s page (`bearer`: an `Authorization` header).
async fn post_status(client: &Client, path: &str, bearer: Option<&str>) -> u64 {
    let script = "const [path, bearer, done] = arguments; \
        const headers = bearer ? {Authorization: 'Bearer ' + bearer} : {}; \
        fetch(path, {method: 'POST', headers, credentials: 'same-origin'}).then(r => done(r.status), () => done(0));";
    let status = client
        .execute_async(script, vec![json!(path), json!(bearer)])
        .await
        .unwrap();
    status.as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_link_can_delete_but_not_close() {
    let system = System::start(Topology::default()).await.unwrap();
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let guest = Browser::start(BrowserOptions::default()).await.unwrap();
    let moderator = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&owner.client, &system, "browser-mods").await;
    let room_url = format!("{}/r/browser-mods", system.cms_url(0));

    // The owner adds a moderator and reads the link, shown once.
    owner.client.goto(&format!("{room_url}/owner")).await.unwrap();
    fill(&owner.client, "form[data-add-moderator] input[name=label]", "Ada").await;
    click(&owner.client, "form[data-add-moderator] button[type=submit]").await;
    let link = wait_for(
        &owner.client,
        "the new moderator link",
        "return document.querySelector('[data-moderator-link]')?.textContent ?? false",
    )
    .await;
    let link = link.as_str().unwrap().to_owned();
    let (path, token) = link.split_once('#').expect("the token rides in the fragment");
    assert!(path.ends_with("/r/browser-mods/moderate"), "{link}");

    // A guest posts; the moderator opens the link and sees the messages to judge.
    guest.client.goto(&room_url).await.unwrap();
    wait_live(&guest.client).await;
    post_through_form(&guest.client, "Guest", "spam spam spam").await;
    post_through_form(&guest.client, "Guest", "a fair question").await;
    wait_for(
        &guest.client,
        "both posts confirmed",
        "return document.querySelectorAll('li.message:not(.pending) .body').length === 2",
    )
    .await;
    moderator.client.goto(&link).await.unwrap();
    wait_for(
        &moderator.client,
        "the moderator page, signed in through the fragment",
        "return location.pathname === '/r/browser-mods/moderate' && location.hash === '' && document.querySelectorAll('li.message').length === 2",
    )
    .await;
    let offers = moderator
        .client
        .execute(
            // Every page's footer has the language switcher: not a room action.
            "return [...document.querySelectorAll('form:not(.language)')].map(f => new URL(f.action).pathname)",
            vec![],
        )
        .await
        .unwrap();
    let offers: Vec<String> = serde_json::from_value(offers).unwrap();
    assert!(offers.iter().any(|action| action.ends_with("/delete")), "{offers:?}");
    assert!(
        offers
            .iter()
            .all(|action| action.starts_with("/r/browser-mods/moderate/")),
        "nothing of the owner's (close, settings, polls) on the moderator page: {offers:?}"
    );

    // The moderator deletes the spam; the guest sees it go, live.
    let rows = moderator.client.find_all(Locator::Css("li.message")).await.unwrap();
    let mut clicked = false;
    for row in rows {
        if row.text().await.unwrap().contains("spam spam spam") {
            row.find(Locator::Css("form[action$='/delete'] button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            clicked = true;
            break;
        }
    }
    assert!(clicked, "the moderator page lists the spam with a delete button");
    wait_for(
        &guest.client,
        "the deletion, live",
        "const bodies = [...document.querySelectorAll('li.message .body')].map(e => e.textContent); return bodies.length === 1 && bodies[0] === 'a fair question'",
    )
    .await;
    wait_for(
        &moderator.client,
        "the moderator page without the spam",
        "return location.pathname === '/r/browser-mods/moderate' && document.querySelectorAll('li.message').length === 1",
    )
    .await;

    // On the room page the moderator has the owner's buttons, on routes of their own, also on
    // a message that arrives live (the live module fills in the server's template).
    moderator.client.goto(&room_url).await.unwrap();
    wait_live(&moderator.client).await;
    post_through_form(&guest.client, "Guest", "more spam").await;
    let live = wait_for(
        &moderator.client,
        "the live message with a moderator's delete button",
        "const li = [...document.querySelectorAll('li.message')].find(li => li.querySelector('.body')?.textContent === 'more spam'); \
         return li && li.querySelector(\"form[action*='/moderate/messages/'][action$='/delete?from=room']\") ? li.id : false",
    )
    .await;
    click(
        &moderator.client,
        &format!("#{} form[action$='/delete?from=room'] button", live.as_str().unwrap()),
    )
    .await;
    wait_for(
        &guest.client,
        "the second deletion, live",
        "return ![...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'more spam')",
    )
    .await;
    wait_for(
        &moderator.client,
        "back on the room page",
        "return location.pathname === '/r/browser-mods' && ![...document.querySelectorAll('li.message .body')].some(e => e.textContent === 'more spam')",
    )
    .await;

    // Closing is refused: the owner's form (no owner cookie here) and the API (the moderator's
    // own token is not the owner's).
    assert_eq!(
        post_status(&moderator.client, "/r/browser-mods/owner/close", None).await,
        403
    );
    assert_eq!(
        post_status(&moderator.client, "/api/v1/rooms/browser-mods/close", Some(token)).await,
        403
    );
    let room: Value = reqwest::get(format!("{}/api/v1/rooms/browser-mods", system.cms_url(0)))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(room["state"], "open", "the room is still open");
    post_through_form(&guest.client, "Guest", "still posting").await;
    wait_for(
        &guest.client,
        "a post after the attempts",
        "return [...document.querySelectorAll('li.message:not(.pending) .body')].some(e => e.textContent === 'still posting')",
    )
    .await;

    // The owner's audit log names who deleted it.
    owner.client.goto(&format!("{room_url}/owner")).await.unwrap();
    let log = owner
        .client
        .execute(
            "return [...document.querySelectorAll('table tbody tr')].map(tr => [...tr.cells].map(td => td.textContent))",
            vec![],
        )
        .await
        .unwrap();
    let log: Vec<Vec<String>> = serde_json::from_value(log).unwrap();
    assert!(
        log.iter().any(|row| row.len() == 4
            && row[1].starts_with("moderator:")
            && row[1].ends_with(" (Ada)")
            && row[2] == "delete"),
        "the log names the moderator who deleted: {log:?}"
    );
    assert!(
        log.iter().all(|row| row.len() < 3 || row[2] != "close"),
        "nobody closed the room: {log:?}"
    );

    owner.close().await.unwrap();
    guest.close().await.unwrap();
    moderator.close().await.unwrap();
    system.shutdown().await.unwrap();
}
