# What the page's scripts show, in German. Keys: as in ../en/live.ftl.

live-connecting = verbinde …
live-reconnecting = verbinde neu …
live-live = live
live-sending = wird gesendet …
live-sent = gesendet
live-waiting-to-send = wartet auf Versand …
live-not-sent = nicht gesendet: { $reason }
live-enter-nickname-and-message = Bitte Spitzname und Nachricht eingeben.
live-presence = { $count } hier
copy-done = Kopiert.
copy-by-hand = Drücken Sie Strg+C (oder ⌘C), um den markierten Code zu kopieren.
name-check-free = { $path } ist frei.
name-check-taken = { $path } ist vergeben, solange dieser Raum offen ist.
