# What the page's scripts show, in Arabic. Keys: as in ../en/live.ftl.

live-connecting = جارٍ الاتصال…
live-reconnecting = جارٍ إعادة الاتصال…
live-live = مباشر
live-sending = جارٍ الإرسال…
live-sent = أُرسلت
live-waiting-to-send = بانتظار الإرسال…
live-not-sent = لم تُرسل: { $reason }
live-enter-nickname-and-message = اكتب اسمًا مستعارًا ورسالة.
live-presence = { $count ->
    [zero] لا أحد هنا
    [one] شخص واحد هنا
    [two] شخصان هنا
    [few] { $count } أشخاص هنا
    [many] { $count } شخصًا هنا
   *[other] { $count } شخص هنا
}
copy-done = تم النسخ.
copy-by-hand = اضغط Ctrl+C (أو ⌘C) لنسخ الشيفرة المحددة.
name-check-free = { $path } متاح.
name-check-taken = { $path } محجوز ما دامت تلك الغرفة مفتوحة.
