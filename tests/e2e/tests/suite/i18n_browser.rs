//! Languages in a real Chromium: the switcher's choice (German) is remembered across pages and
//! reloads and reaches the live module's texts; an Arabic page runs right to left, mirrored.

use fantoccini::Client;
use tm_e2e::browser::{Browser, BrowserOptions};
use tm_e2e::system::{System, Topology};

use crate::browser::{wait_for, wait_live};

/// Where the heading's text starts and ends on the page, and the page's width.
async fn heading_text_box(client: &Client) -> (f64, f64, f64) {
    let value = client
        .execute(
            "const range = document.createRange(); range.selectNodeContents(document.querySelector('main h1'));
             const box = range.getBoundingClientRect();
             return [box.left, box.right, document.documentElement.clientWidth];",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chosen_language_sticks_reaches_live_texts_and_arabic_is_mirrored() {
    let system = System::start(Topology::default()).await.unwrap();
    let slug = "browser-languages";
    system.create_room(slug).await.unwrap();
    let browser = Browser::start(BrowserOptions::default()).await.unwrap();
    let client = &browser.client;
    let room = format!("{}/r/{slug}", system.cms_url(0));
    client.goto(&room).await.unwrap();
    assert_eq!(
        client
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap(),
        "en"
    );
    let (ltr_left, _, width) = heading_text_box(client).await;
    assert!(ltr_left < width / 2.0, "English headings start on the left");

    // The switcher, as a person uses it: pick German, press the button.
    client
        .execute(
            "document.getElementById('language-choice').value = 'de';
             document.querySelector('form.language button').click();",
            vec![],
        )
        .await
        .unwrap();
    wait_for(
        client,
        "the room page in German",
        &format!("return document.documentElement.lang === 'de' && location.pathname === '/r/{slug}'"),
    )
    .await;
    wait_live(client).await;
    system.post_http(slug, "Grace", "Guten Morgen").await.unwrap();
    let label = wait_for(
        client,
        "the live message's vote button, labelled by live.js",
        "return document.querySelector('li.message button.vote .visually-hidden')?.textContent || false",
    )
    .await;
    // The button's name is its visible count, then this hidden text (WCAG 2.5.3).
    assert_eq!(label, ": Nachricht von Grace hochstimmen: Guten Morgen");
    wait_for(
        client,
        "the presence count in German",
        "return document.querySelector('[data-presence]').textContent === '1 hier'",
    )
    .await;
    let submit = client
        .execute(
            "return document.querySelector('[data-post-form] button[type=submit]').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(submit, "Senden");

    // Remembered: across a reload and on another page.
    client.refresh().await.unwrap();
    wait_for(
        client,
        "German after a reload",
        "return document.documentElement.lang === 'de'",
    )
    .await;
    client.goto(&format!("{room}/transcript")).await.unwrap();
    let heading = client
        .execute(
            "return document.documentElement.lang + ' ' + document.querySelector('h1').textContent",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(heading, format!("de Protokoll von {slug}"));

    // Arabic: right to left, and the layout mirrors.
    client
        .goto(&format!("{}/language?lang=ar&next=/r/{slug}", system.cms_url(0)))
        .await
        .unwrap();
    wait_for(
        client,
        "the room page in Arabic",
        "return document.documentElement.lang === 'ar' && document.documentElement.dir === 'rtl'",
    )
    .await;
    let (_, rtl_right, width) = heading_text_box(client).await;
    assert!(rtl_right > width / 2.0, "Arabic headings start on the right");
    wait_live(client).await;
    let status = client
        .execute("return document.querySelector('[data-connection]').textContent", vec![])
        .await
        .unwrap();
    assert_eq!(status, "مباشر");
    drop(browser);
    drop(system);
}
