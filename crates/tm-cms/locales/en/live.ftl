# What the page's scripts (static/live.js, controls.js, home.js) show, handed to them by the
# page (src/i18n/client.rs lists the keys). `{ $name }` becomes a `{name}` placeholder the
# script fills in; `$count` selects the plural form and is written by the browser.

live-connecting = connecting…
live-reconnecting = reconnecting…
live-live = live
live-sending = sending…
live-sent = sent
live-waiting-to-send = waiting to send…
live-not-sent = not sent: { $reason }
live-enter-nickname-and-message = Enter a nickname and a message.
live-presence = { $count } here
copy-done = Copied.
copy-by-hand = Press Ctrl+C (or ⌘C) to copy the selected code.
name-check-free = { $path } is free.
name-check-taken = { $path } is taken while that room is open.
