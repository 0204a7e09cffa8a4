# What the page's scripts show, in Spanish. Keys: as in ../en/live.ftl.

live-connecting = conectando…
live-reconnecting = reconectando…
live-live = en directo
live-sending = enviando…
live-sent = enviado
live-waiting-to-send = esperando para enviar…
live-not-sent = no enviado: { $reason }
live-enter-nickname-and-message = Escribe un apodo y un mensaje.
live-presence = { $count ->
    [one] { $count } persona aquí
   *[other] { $count } personas aquí
}
copy-done = Copiado.
copy-by-hand = Pulsa Ctrl+C (o ⌘C) para copiar el código seleccionado.
name-check-free = { $path } está libre.
name-check-taken = { $path } está ocupado mientras esa sala siga abierta.
