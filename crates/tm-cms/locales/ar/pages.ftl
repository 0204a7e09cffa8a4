# tm's pages in Arabic (right to left). Keys: as in ../en/pages.ftl (the reference).

## Site chrome

skip-to-content = انتقل إلى المحتوى الرئيسي
nav-help = المساعدة
nav-about = حول الموقع
nav-privacy = الخصوصية
nav-source = الشيفرة المصدرية
language-label = اللغة
language-submit = تغيير اللغة
optional = اختياري
page-render-failed = تعذّر عرض هذه الصفحة.

## Dates written by the server, in UTC

date-time-utc = { $time } UTC
date-datetime-utc = { $day } { $month } { $year }، { $time } UTC
date-month-short = { $month ->
    [1] يناير
    [2] فبراير
    [3] مارس
    [4] أبريل
    [5] مايو
    [6] يونيو
    [7] يوليو
    [8] أغسطس
    [9] سبتمبر
    [10] أكتوبر
    [11] نوفمبر
   *[12] ديسمبر
}

## Room lifetimes

lifetime-label = إبقاؤها مفتوحة لمدة
lifetime-from-now = { $lifetime } من الآن
lifetime-2h = ساعتين
lifetime-1d = يوم واحد
lifetime-1w = أسبوع واحد
lifetime-1m = شهر واحد
lifetime-1y = سنة واحدة

## Home page

home-title = { $site }: غرفة لجمهورك
home-heading = افتح غرفة لصفّك أو محاضرتك
home-intro = اختر اسمًا وشارك الرابط، ويستطيع الجميع نشر رسائل قصيرة تظهر مباشرةً. بلا حسابات.
home-join-heading = الانضمام إلى غرفة
home-join-room = اسم الغرفة أو رابطها
home-join-submit = انضمام
home-create-heading = فتح غرفة جديدة
home-room-name = اسم الغرفة
home-room-name-example = اسمك
home-room-name-rules = من 3 إلى 64 حرفًا: a–z و0–9 والشرطات
home-topic = الموضوع
home-hashtags = متابعة وسوم
home-hashtags-hint = اختياري، مفصولة بمسافات: تظهر في الغرفة منشورات من تويتر وماستودون وبلوسكاي
home-password = كلمة المرور
home-password-hint = اختياري: لا ينضم إلا من يعرفها
home-create-submit = إنشاء الغرفة

## Room page

room-open-until = مفتوحة حتى
room-keep-open-longer = إبقاؤها مفتوحة مدة أطول
room-you-own-it = أنت مالك هذه الغرفة.
room-owner-link-once = احتفظ بهذا الرابط لإدارتها من جهاز آخر؛ فهو لا يُعرض إلا مرة واحدة:
connection-closed = مغلقة
connection-offline-room = غير متصل مباشرةً (النشر ما زال ممكنًا)
connection-offline-owner = غير متصل مباشرةً (أعد تحميل الصفحة لرؤية الرسائل الجديدة)
room-link-projector = جهاز العرض
room-link-transcript = السجلّ
room-link-owner = إدارة الغرفة
room-link-moderate = الإشراف
room-state-paused = هذه الغرفة متوقفة مؤقتًا: النشر معطّل حاليًا.
room-state-closed = هذه الغرفة مغلقة.
room-state-name = { $state ->
    [open] مفتوحة
    [paused] متوقفة مؤقتًا
   *[closed] مغلقة
}
room-nickname = الاسم المستعار
room-message = الرسالة
room-message-limit = حتى { $max } حرف
room-post = نشر
reactions-label = التفاعلات
react-with = التفاعل بـ { $emoji }
pinned-section-label = مثبّتة
pinned-label = مثبّتة:
polls-label = الاستطلاعات
polls-heading = الاستطلاعات
sort-label = الترتيب:
sort-newest = الأحدث
sort-most-votes = الأكثر تصويتًا
messages-label = الرسائل
messages-heading = الرسائل
messages-none-yet = لا توجد رسائل بعد.
messages-none = لا توجد رسائل.

## One message

vote-label = التصويت لرسالة { $nickname }: { $excerpt }
badge-answered = تمت الإجابة
badge-pinned = مثبّتة
message-via = عبر { $kind }
message-waiting-for-approval = بانتظار الموافقة
message-author-muted = الكاتب مكتوم

## The owner's and moderators' buttons on a message

action-approve = موافقة
action-approve-label = الموافقة على رسالة { $nickname }: { $excerpt }
action-reject = رفض
action-reject-label = رفض رسالة { $nickname }: { $excerpt }
action-delete = حذف
action-delete-label = حذف رسالة { $nickname }: { $excerpt }
action-mark-answered = وضع علامة «تمت الإجابة»
action-mark-unanswered = إزالة علامة «تمت الإجابة»
action-pin = تثبيت
action-unpin = إلغاء التثبيت
action-mute = كتم { $nickname }
action-unmute = إلغاء كتم { $nickname }
close-question = هل تريد إغلاق { $slug } نهائيًا؟ لن يتمكن أحد من النشر فيها بعد ذلك، وسيصبح اسمها متاحًا لغرفة جديدة. يبقى سجلّها متاحًا للقراءة.

## Polls

poll-voted = { $count ->
    [zero] مصوّت
    [one] مصوّت
    [two] مصوّتان
    [few] مصوّتين
    [many] مصوّتًا
   *[other] مصوّت
}
poll-state-open = مفتوح
poll-state-open-any = مفتوح، يمكن اختيار أكثر من خيار
poll-state-closed = مغلق
poll-option-share = { $option }: { $share }٪
poll-option-count = { $votes } ({ $share }٪)
poll-close = إغلاق الاستطلاع «{ $question }»

## Closed room, closing, embedding, errors

closed-heading = { $slug } مغلقة
closed-by-owner = أغلقها مالكها.
closed-by-admin = أغلقها مشرفو الموقع.
closed-expired = انتهت مدتها.
closed-no-posting = لم يعد بإمكان أحد النشر فيها.
closed-read-transcript = اقرأ السجلّ
closed-transcript-of-everything = الكامل لكل ما قيل.
closed-name-free = أصبح اسمها متاحًا من جديد:
closed-open-new-room = يمكنك فتح غرفة جديدة باسم { $slug } إن شئت.
confirm-close-heading = إغلاق { $slug }؟
confirm-close-yes = نعم، أغلق الغرفة
confirm-close-no = لا، أبقها مفتوحة
embed-join = انضم إلى المحادثة
error-page-open-new-room = افتح غرفة جديدة
error-page-not-found-heading = غير موجود
error-page-not-found-detail = لا توجد هنا غرفة ولا صفحة. تختفي الغرف بعد مدة من إغلاقها.
error-page-closed-heading = هذه الغرفة مغلقة
error-page-closed-detail = أغلقها مالكها، أو انتهت مدتها.
error-page-unavailable-heading = نعود بعد لحظات
error-page-unavailable-detail = لا تستطيع الخدمة الوصول إلى قاعدة بياناتها الآن. يُرجى المحاولة بعد قليل؛ لم يضع شيء مما نشرته.
error-page-forbidden-heading = غير مسموح
error-page-forbidden-detail = يتطلب هذا رابط مالك الغرفة أو تسجيل الدخول بصفة مشرف الموقع.
error-page-other-heading = حدث خطأ ما
error-page-other-detail = يُرجى المحاولة مرة أخرى.

## Password, projector, transcript, source

password-title = كلمة المرور
password-asked = تطلب هذه الغرفة كلمة مرور.
password-label = كلمة المرور
password-submit = دخول
projector-title = جهاز العرض
projector-paused = متوقفة مؤقتًا
projector-closed = مغلقة
projector-join-at = انضم عبر
top-questions = الأسئلة الأكثر تصويتًا
transcript-title = السجلّ
transcript-heading = سجلّ { $slug }
transcript-download = تنزيل:
transcript-text = نص
transcript-back = العودة إلى الغرفة
source-licence = يعمل هذا الموقع بالإصدار { $version } من tm، وهو برنامج حر مرخّص برخصة غنو أفيرو العمومية (GNU AGPL)، الإصدار 3 أو أحدث.
source-not-published = يمكنك الحصول على شيفرته المصدرية من القائمين على هذا الموقع؛ ولم ينشروا رابطًا إليها هنا بعد
source-licence-heading = الرخصة

## Owner controls

owner-title = إدارة الغرفة
owner-heading = إدارة الغرفة:
owner-sign-in-title = دخول المالك
owner-sign-in-explained = يتطلب هذا رابط مالك الغرفة. افتح الرابط الذي حصلت عليه عند إنشاء الغرفة، أو الصق رمز المالك هنا
sign-in-token-part = (الجزء الذي يلي
sign-in-token-part-end = ).
owner-token = رمز المالك
owner-sign-in-submit = فتح لوحة الإدارة
owner-new-link = رابط مالك جديد.
owner-new-link-explained = لم يعد الرابط القديم يعمل. احتفظ بهذا الرابط لإدارة الغرفة من جهاز آخر؛ فهو لا يُعرض إلا مرة واحدة:
owner-read-transcript = اقرأ سجلّها.
owner-settings = الإعدادات
owner-hashtags = الوسوم
owner-hashtags-hint = مفصولة بمسافات
owner-slow-mode = الوضع البطيء
owner-slow-mode-hint = عدد الثواني بين منشورين للشخص نفسه، 0 أو فارغ = معطّل
owner-moderation = الإشراف
owner-moderation-post = عرض المنشورات فورًا
owner-moderation-approve = الموافقة على كل منشور أولًا
owner-blocked-words = الكلمات المحظورة
owner-blocked-words-hint = كلمة أو عبارة في كل سطر؛ المنشورات التي تحتوي إحداها تنتظر موافقتك
owner-save-settings = حفظ الإعدادات
owner-closing-time = وقت الإغلاق
owner-closes-on = تُغلق الغرفة تلقائيًا في
owner-transcript-stays = ويبقى سجلّها متاحًا للقراءة بعد ذلك.
owner-set-closing-time = تحديد وقت الإغلاق
owner-posting = النشر
owner-pause = إيقاف النشر مؤقتًا
owner-resume = استئناف النشر
owner-rotate = رابط مالك جديد (يتوقف الرابط القديم عن العمل)
owner-close = إغلاق الغرفة
owner-embed = التضمين
owner-embed-hint = اعرض رسائل الغرفة مباشرةً وللقراءة فقط في صفحة ويب أخرى (صفحة مقرّر أو مدوّنة): الصق هذه الشيفرة في HTML الخاص بها.
owner-embed-code = شيفرة التضمين
owner-embed-copy = نسخ شيفرة التضمين
owner-reactions = رموز التفاعل التعبيرية
owner-reactions-hint = من 1 إلى 8، مفصولة بمسافات؛ ينقر عليها المشاركون، ويعرض جهاز العرض أعدادها
owner-save-reactions = حفظ التفاعلات
owner-poll-question = السؤال
owner-poll-options = الخيارات
owner-poll-options-hint = خيار في كل سطر، من 2 إلى 10
owner-poll-multiple = يمكن للمشاركين اختيار أكثر من خيار
owner-poll-open = بدء الاستطلاع
owner-no-polls = لا توجد استطلاعات بعد.
owner-moderators = المشرفون
owner-moderators-explained = يتيح رابط المشرف لحامله حذف الرسائل والموافقة عليها ورفضها، وكتم الأشخاص، ووضع علامات على الأسئلة، لكن ليس تغيير إعدادات الغرفة أو إغلاقها أو إجراء استطلاعات.
owner-moderator-since = منذ
owner-revoke = سحب صلاحية { $label }
owner-no-moderators = لا يوجد مشرفون.
owner-moderator-name = الاسم
owner-moderator-name-hint = اختياري؛ يظهر به في سجلّ التدقيق
owner-add-moderator = إضافة رابط مشرف
owner-muted = المكتومون
owner-muted-hint = لا يستطيع المكتومون النشر هنا، وتُستبعد منشورات الحسابات المكتومة على تويتر وماستودون وبلوسكاي.
owner-muted-since = مكتوم منذ
owner-nobody-muted = لا يوجد أحد مكتوم.
audit-heading = سجلّ التدقيق
audit-when = متى
audit-who = من
audit-action = الإجراء
audit-target = الهدف
audit-empty = لا شيء بعد.

## Co-moderators

moderate-title = الإشراف
moderate-heading = الإشراف:
moderate-you-are = أنت مشرف على هذه الغرفة باسم
moderate-audited = تُسجَّل إجراءاتك باسمك في سجلّ تدقيق الغرفة.
moderator-sign-in-title = دخول المشرف
moderator-sign-in-explained = يتطلب هذا رابط مشرف لهذه الغرفة. افتح الرابط الذي أعطاك إياه مالك الغرفة، أو الصق رمزه هنا
moderator-token = رمز المشرف
moderator-sign-in-submit = فتح صفحة الإشراف
moderator-link-title = رابط المشرف
moderators-heading-prefix = المشرفون:
moderator-link-new = رابط مشرف جديد.
moderator-link-explained = أعطه لمن يشاركك الإشراف: يتيح لحامله حذف الرسائل والموافقة عليها ورفضها، وكتم الأشخاص، ووضع علامات على الأسئلة، لكن ليس تغيير الغرفة. لا يُعرض إلا مرة واحدة:
moderator-link-already-shown = سبق عرض هذا الرابط. أضف مشرفًا آخر إن ضاع (واسحب صلاحية القديم).
back-to-owner-controls = العودة إلى إدارة الغرفة

## Site admin

admin-title = إدارة الموقع
admin-sign-in = تسجيل دخول الإدارة
admin-user = المستخدم
admin-sign-in-submit = تسجيل الدخول
admin-sign-out = تسجيل خروج { $name }
admin-pages = الصفحات
admin-new-page = صفحة جديدة
admin-page = الصفحة
admin-page-title = العنوان
admin-edit = تعديل
admin-no-pages = لا توجد صفحات.
admin-rooms = الغرف
admin-room = الغرفة
admin-state = الحالة
admin-expires = تنتهي في
admin-close-room = إغلاق
admin-close-room-label = إغلاق { $slug }
admin-no-rooms = لا توجد غرف.
admin-edit-page = تعديل الصفحة
admin-edit-page-named = تعديل { $path }
admin-page-address = العنوان على الموقع
admin-page-text = النص
admin-save = حفظ
admin-back = رجوع

## Messages of the pages' forms

join-type-a-name = اكتب اسم الغرفة.
join-not-a-name = هذا ليس اسم غرفة: { $reason }.
join-no-such-room = لا توجد غرفة باسم { $slug }. تحقّق من كتابته مع من أعطاك الاسم.
notice-settings-saved = حُفظت الإعدادات.
notice-lifetime-set = حُفظ وقت الإغلاق الجديد: انظر «وقت الإغلاق».
admin-too-many-attempts = محاولات كثيرة جدًا؛ انتظر دقيقة.
admin-wrong-login = اسم المستخدم أو كلمة المرور خاطئة.
admin-page-invalid = العناوين من a–z و0–9 والشرطات؛ والعنوان مطلوب؛ والنصوص حتى 200 كيلوبايت.
owner-wrong-token = هذا ليس رمز مالك هذه الغرفة.
moderator-wrong-token = هذا ليس رابط مشرف لهذه الغرفة، أو سُحبت صلاحيته.
owner-slow-mode-invalid = الوضع البطيء عدد صحيح من الثواني بين 0 و{ $max } (0 أو فارغ = معطّل).

# The plain-text answer to a form posted from another site.
form-cross-site = يجب إرسال هذا النموذج من هذا الموقع.
