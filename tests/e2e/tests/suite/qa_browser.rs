//! Q&A and polls in real headless Chromium, across browsers: a participant's vote moves the
//! count on another participant's page, the owner pins a message and it shows on the room page
//! and the projector, a poll the owner opens appears live and its bars move, and closing it
//! stops the voting.

use fantoccini::{Client, Locator};
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};

use crate::browser::{click, create_through_form, fill, post_through_form, save_screenshot, wait_for, wait_live};

/// The element id (`m<id>`) of the message whose body is `body`, once it is shown.
async fn message_element_id(client: &Client, body: &str) -> String {
    let script = format!(
        "return [...document.querySelectorAll('li.message')].find(li => li.querySelector('.body')?.textContent === {body:?})?.id ?? false"
    );
    wait_for(client, &format!("the message {body:?}"), &script)
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_moves_the_count_in_another_browser_and_the_owner_pins_the_question() {
    let system = System::start(Topology::default()).await.unwrap();
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let guest = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&owner.client, &system, "browser-qa").await;
    let link = owner
        .client
        .find(Locator::Css(".owner-link"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let owner_token = link.rsplit('#').next().unwrap().to_owned();
    let room_url = format!("{}/r/browser-qa", system.cms_url(0));
    guest.client.goto(&room_url).await.unwrap();
    wait_live(&owner.client).await;
    wait_live(&guest.client).await;

    post_through_form(&guest.client, "Guest", "Why is the sky blue?").await;
    post_through_form(&guest.client, "Guest", "Is light a wave?").await;
    let question = message_element_id(&owner.client, "Why is the sky blue?").await;
    let other = message_element_id(&owner.client, "Is light a wave?").await;
    message_element_id(&guest.client, "Why is the sky blue?").await;
    let vote_button = format!("#{question} button.vote");
    wait_for(
        &guest.client,
        "the vote button enabled",
        &format!("return document.querySelector('{vote_button}')?.disabled === false"),
    )
    .await;

    click(&guest.client, &vote_button).await;
    wait_for(
        &guest.client,
        "the guest's own vote counted",
        &format!(
            "const b = document.querySelector('{vote_button}'); return b.getAttribute('aria-pressed') === 'true' && b.querySelector('[data-votes]').textContent === '1'"
        ),
    )
    .await;
    wait_for(
        &owner.client,
        "the count moving on the owner's page (message.updated)",
        &format!("return document.querySelector('{vote_button} [data-votes]')?.textContent === '1'"),
    )
    .await;

    // Sorting by votes puts the voted question first, although it is the older one.
    click(&owner.client, "[data-sort=votes]").await;
    let first = wait_for(
        &owner.client,
        "sorted by votes",
        "return document.querySelector('[data-messages] li.message')?.id",
    )
    .await;
    assert_eq!(first.as_str().unwrap(), question, "{other} is newer but has no votes");

    // The owner pins it from the room page, with the buttons live.js gave the live message; the
    // guest sees it pinned, live.
    click(&owner.client, &format!("#{question} form[action*='/pin'] button")).await;
    wait_for(
        &guest.client,
        "the pinned question",
        "const slot = document.querySelector('[data-pinned-slot]'); return !slot.hidden && slot.textContent.includes('Why is the sky blue?')",
    )
    .await;
    // A mark made elsewhere (here: the API) turns the owner's open page's button around, live.
    wait_live(&owner.client).await;
    let marked = system
        .http
        .patch(format!(
            "{}/api/v1/rooms/browser-qa/messages/{}",
            system.cms_url(0),
            &other[1..]
        ))
        .bearer_auth(&owner_token)
        .json(&serde_json::json!({"answered": true}))
        .send()
        .await
        .unwrap();
    assert!(marked.status().is_success());
    let turned = wait_for(
        &owner.client,
        "the owner's button now offering to unmark",
        &format!("return document.querySelector('#{other} form[action*=\"/unanswer\"] button')?.textContent ?? false"),
    )
    .await;
    assert_eq!(turned, "Mark unanswered");
    wait_for(
        &guest.client,
        "the pinned badge",
        &format!("return !document.querySelector('#{question} .badge.pinned').hidden"),
    )
    .await;

    // The projector shows the pinned message and the top questions.
    guest.client.goto(&format!("{room_url}/projector")).await.unwrap();
    let projector = wait_for(
        &guest.client,
        "the projector's pinned message and top questions",
        "const pinned = document.querySelector('[data-pinned-slot]'); const top = document.querySelector('[data-top]'); return !pinned.hidden && !top.hidden && [pinned.textContent, top.textContent]",
    )
    .await;
    assert!(
        projector[0].as_str().unwrap().contains("Why is the sky blue?"),
        "{projector}"
    );
    assert!(projector[1].as_str().unwrap().contains("▲ 1"), "{projector}");

    // A vote while the projector is open moves its top questions live (message.updated).
    let api = |path: &str| format!("{}/api/v1/rooms/browser-qa{path}", system.cms_url(0));
    let join: serde_json::Value = system
        .http
        .post(api("/join"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let voted = system
        .http
        .post(api(&format!("/messages/{}/vote", &question[1..])))
        .bearer_auth(join["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(voted.status().is_success());
    wait_for(
        &guest.client,
        "the projector's top question at two votes",
        &format!(
            "const li = document.querySelector('[data-top-list] li'); return li?.dataset.topId === '{}' && li.textContent.includes('▲ 2')",
            &question[1..]
        ),
    )
    .await;
    guest.close().await.unwrap();
    owner.close().await.unwrap();
    system.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_the_owner_opens_appears_live_and_its_bars_move() {
    let system = System::start(Topology::default()).await.unwrap();
    let owner = Browser::start(BrowserOptions::default()).await.unwrap();
    let voter = Browser::start(BrowserOptions::default()).await.unwrap();
    let watcher = Browser::start(BrowserOptions::default()).await.unwrap();
    create_through_form(&owner.client, &system, "browser-poll").await;
    let room_url = format!("{}/r/browser-poll", system.cms_url(0));
    voter.client.goto(&room_url).await.unwrap();
    watcher.client.goto(&room_url).await.unwrap();
    wait_live(&voter.client).await;
    wait_live(&watcher.client).await;

    owner.client.goto(&format!("{room_url}/owner")).await.unwrap();
    fill(
        &owner.client,
        "form[data-poll-form] input[name=question]",
        "Red or blue?",
    )
    .await;
    fill(
        &owner.client,
        "form[data-poll-form] textarea[name=options]",
        "Red\nBlue",
    )
    .await;
    click(&owner.client, "form[data-poll-form] button[type=submit]").await;

    let poll_id = wait_for(
        &voter.client,
        "the poll, live",
        "const p = document.querySelector('[data-poll]'); return p && p.querySelector('.poll-question').textContent === 'Red or blue?' && p.dataset.poll",
    )
    .await;
    let poll = format!("#poll{}", poll_id.as_str().unwrap());
    let blue = format!("{poll} li:nth-child(2) [data-choice]");
    wait_for(
        &voter.client,
        "the poll's buttons enabled",
        &format!("return document.querySelector('{blue}')?.disabled === false"),
    )
    .await;
    click(&voter.client, &blue).await;
    wait_for(
        &voter.client,
        "the voter's choice",
        &format!("return document.querySelector('{blue}')?.getAttribute('aria-pressed') === 'true'"),
    )
    .await;
    let bars = wait_for(
        &watcher.client,
        "the bars moving on another page (poll.updated)",
        &format!(
            "const li = document.querySelector('{poll} li:nth-child(2)'); return li && li.querySelector('[data-option-count]').textContent === '1 (100%)' && [li.querySelector('meter').value, document.querySelector('{poll} [data-poll-voters]').textContent]"
        ),
    )
    .await;
    assert_eq!(bars, serde_json::json!([100, "1"]));

    // The voter changes their mind: the count moves from Blue to Red.
    click(&voter.client, &format!("{poll} li:nth-child(1) [data-choice]")).await;
    wait_for(
        &watcher.client,
        "the changed vote",
        &format!(
            "const [red, blue] = document.querySelectorAll('{poll} [data-option-count]'); return red?.textContent === '1 (100%)' && blue.textContent === '0 (0%)'"
        ),
    )
    .await;

    owner.client.refresh().await.unwrap();
    click(&owner.client, &format!("{poll} form[action$='/close'] button")).await;
    wait_for(
        &voter.client,
        "the poll closed, live",
        &format!(
            "const p = document.querySelector('{poll}'); return p?.dataset.state === 'closed' && [...p.querySelectorAll('[data-choice]')].every(b => b.disabled)"
        ),
    )
    .await;
    let projector = format!("{room_url}/projector");
    watcher.client.goto(&projector).await.unwrap();
    let shown = wait_for(
        &watcher.client,
        "the closed poll's results on the projector",
        &format!("return document.querySelector('{poll}')?.textContent"),
    )
    .await;
    assert!(shown.as_str().unwrap().contains("closed"), "{shown}");
    assert!(
        watcher
            .client
            .find_all(Locator::Css(&format!("{poll} [data-choice]:not([disabled])")))
            .await
            .unwrap()
            .is_empty(),
        "nobody votes from the projector"
    );
    for browser in [owner, voter, watcher] {
        browser.close().await.unwrap();
    }
    system.shutdown().await.unwrap();
}

/// `make screenshots`: the room, projector and owner pages with Q&A votes, a pinned question and
/// a poll with results, in target/screenshots/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn screenshots_of_qa_and_polls() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "physics-qa";
    let room = system.create_room(slug).await.unwrap();
    let owner_token = room["owner_token"].as_str().unwrap().to_owned();
    let api = |path: &str| format!("{}/api/v1/rooms/{slug}{path}", system.cms_url(0));
    let mut questions = Vec::new();
    for (nick, body) in [
        ("Ada", "Why does the sky look blue but sunsets red?"),
        ("Grace", "Will the formula sheet be provided in the exam?"),
        ("Linus", "Could you repeat the derivation of Snell's law?"),
    ] {
        questions.push(system.post_http(slug, nick, body).await.unwrap()["id"].clone());
    }
    let poll: serde_json::Value = system
        .http
        .post(api("/polls"))
        .bearer_auth(&owner_token)
        .json(&serde_json::json!({"question": "Which topic should we review next?", "options": ["Optics", "Waves", "Thermodynamics"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for i in 0..7usize {
        let join: serde_json::Value = system
            .http
            .post(api("/join"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = join["token"].as_str().unwrap();
        for question in questions.iter().take(3 - i % 3) {
            let voted = system
                .http
                .post(api(&format!("/messages/{question}/vote")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert!(voted.status().is_success());
        }
        let option = &poll["options"][[0, 0, 1, 0, 2, 1, 0][i]]["id"];
        let ballot = system
            .http
            .post(api(&format!("/polls/{}/votes", poll["id"])))
            .bearer_auth(token)
            .json(&serde_json::json!({"options": [option]}))
            .send()
            .await
            .unwrap();
        assert!(ballot.status().is_success());
    }
    let pinned = system
        .http
        .patch(api(&format!("/messages/{}", questions[1])))
        .bearer_auth(&owner_token)
        .json(&serde_json::json!({"pinned": true}))
        .send()
        .await
        .unwrap();
    assert!(pinned.status().is_success());

    let base = system.cms_url(0);
    for (name, path, width, height) in [
        ("qa-room", format!("/r/{slug}"), 1280, 1000),
        ("qa-projector", format!("/r/{slug}/projector"), 1600, 900),
        ("qa-owner", format!("/r/{slug}/owner#{owner_token}"), 1280, 1400),
    ] {
        let browser = Browser::start(BrowserOptions {
            width,
            height,
            ..Default::default()
        })
        .await
        .unwrap();
        browser.client.goto(&format!("{base}{path}")).await.unwrap();
        if name == "qa-owner" {
            // The owner link's sign-in trades the fragment for the owner cookie, then lands here.
            wait_for(
                &browser.client,
                "the owner controls",
                "return !!document.querySelector('[data-poll-form]')",
            )
            .await;
        } else {
            wait_for(
                &browser.client,
                "the poll's results",
                "return document.querySelector('[data-poll] [data-poll-voters]')?.textContent === '7'",
            )
            .await;
        }
        if name == "qa-room" {
            wait_live(&browser.client).await;
        }
        save_screenshot(&browser.client, name).await;
        browser.close().await.unwrap();
    }
    system.shutdown().await.unwrap();
}
