# tm's pages in English: the reference language. Every key here must exist in every other
# language, and no language may have a key English lacks (`cargo nextest run -p tm-cms i18n`).
# How to add a language: docs/i18n.md.

## Site chrome

skip-to-content = Skip to main content
nav-help = Help
nav-about = About
nav-privacy = Privacy
nav-source = Source code
language-label = Language
language-submit = Change language
optional = optional
page-render-failed = This page could not be shown.

## Dates written by the server, in UTC (the browser rewrites them in local time)

date-time-utc = { $time } UTC
date-datetime-utc = { $day } { $month } { $year }, { $time } UTC
date-month-short = { $month ->
    [1] Jan
    [2] Feb
    [3] Mar
    [4] Apr
    [5] May
    [6] Jun
    [7] Jul
    [8] Aug
    [9] Sep
    [10] Oct
    [11] Nov
   *[12] Dec
}

## Room lifetimes

lifetime-label = Keep it open for
lifetime-from-now = { $lifetime } from now
lifetime-2h = 2 hours
lifetime-1d = 1 day
lifetime-1w = 1 week
lifetime-1m = 1 month
lifetime-1y = 1 year

## Home page

home-title = { $site }: a room for your audience
home-heading = Open a room for your class or talk
home-intro = Pick a name, share the link, and everyone can post short messages that appear live. No accounts.
home-join-heading = Join a room
home-join-room = Room name or link
home-join-submit = Join
home-create-heading = Open a new room
home-room-name = Room name
home-room-name-example = your-name
home-room-name-rules = 3–64 characters, a–z, 0–9 and dashes
home-topic = Topic
home-hashtags = Follow hashtags
home-hashtags-hint = optional, separated by spaces: posts from Twitter, Mastodon and Bluesky appear in the room
home-password = Password
home-password-hint = optional: only people who know it can join
home-create-submit = Create room

## Room page

room-open-until = Open until
room-keep-open-longer = keep it open longer
room-you-own-it = You own this room.
room-owner-link-once = Keep this link to manage it from another device; it is shown only once:
connection-closed = closed
connection-offline-room = not live (posting still works)
connection-offline-owner = not live (reload to see new messages)
room-link-projector = Projector
room-link-transcript = Transcript
room-link-owner = Owner controls
room-link-moderate = Moderate
room-state-paused = This room is paused: posting is off for now.
room-state-closed = This room is closed.
room-state-name = { $state ->
    [open] open
    [paused] paused
   *[closed] closed
}
room-nickname = Nickname
room-message = Message
room-message-limit = up to { $max } characters
room-post = Post
reactions-label = Reactions
react-with = React with { $emoji }
pinned-section-label = Pinned
pinned-label = Pinned:
polls-label = Polls
polls-heading = Polls
sort-label = Sort:
sort-newest = Newest
sort-most-votes = Most votes
messages-label = Messages
messages-heading = Messages
messages-none-yet = No messages yet.
messages-none = No messages.

## One message

vote-label = Upvote the message by { $nickname }: { $excerpt }
badge-answered = answered
badge-pinned = pinned
message-via = via { $kind }
message-waiting-for-approval = waiting for approval
message-author-muted = author muted

## The owner's and moderators' buttons on a message

action-approve = Approve
action-approve-label = Approve { $nickname }: { $excerpt }
action-reject = Reject
action-reject-label = Reject { $nickname }: { $excerpt }
action-delete = Delete
action-delete-label = Delete { $nickname }: { $excerpt }
action-mark-answered = Mark answered
action-mark-unanswered = Mark unanswered
action-pin = Pin
action-unpin = Unpin
action-mute = Mute { $nickname }
action-unmute = Unmute { $nickname }
close-question = Close { $slug } for good? Nobody can post in it any more, and its name becomes free for a new room. Its transcript stays readable.

## Polls

poll-voted = voted
poll-state-open = open
poll-state-open-any = open, choose any
poll-state-closed = closed
poll-option-share = { $option }: { $share }%
poll-option-count = { $votes } ({ $share }%)
poll-close = Close the poll “{ $question }”

## Closed room, closing, embedding, errors

closed-heading = { $slug } is closed
closed-by-owner = Its owner closed it.
closed-by-admin = The site's admins closed it.
closed-expired = Its time ran out.
closed-no-posting = Nobody can post in it any more.
closed-read-transcript = Read the transcript
closed-transcript-of-everything = of everything that was said.
closed-name-free = Its name is free again:
closed-open-new-room = open a new room named { $slug } if you like.
confirm-close-heading = Close { $slug }?
confirm-close-yes = Yes, close the room
confirm-close-no = No, keep it open
embed-join = Join the conversation
error-page-open-new-room = Open a new room
error-page-not-found-heading = Not found
error-page-not-found-detail = There is no room or page here. Rooms disappear some time after they close.
error-page-closed-heading = This room is closed
error-page-closed-detail = Its owner closed it, or its time ran out.
error-page-unavailable-heading = Back in a moment
error-page-unavailable-detail = The service cannot reach its database right now. Please try again shortly; nothing you already posted is lost.
error-page-forbidden-heading = Not allowed
error-page-forbidden-detail = This needs the room owner's link or an admin sign-in.
error-page-other-heading = Something went wrong
error-page-other-detail = Please try again.

## Password, projector, transcript, source

password-title = password
password-asked = This room asks for a password.
password-label = Password
password-submit = Enter
projector-title = projector
projector-paused = Paused
projector-closed = Closed
projector-join-at = Join at
top-questions = Top questions
transcript-title = transcript
transcript-heading = Transcript of { $slug }
transcript-download = Download:
transcript-text = text
transcript-back = back to the room
source-licence = This site runs tm { $version }, free software under the GNU Affero General Public License, version 3 or later.
source-not-published = You may get its source code from the people who run this site; they have not published a link to it here yet
source-licence-heading = Licence

## Owner controls

owner-title = Owner controls
owner-heading = Owner controls:
owner-sign-in-title = Owner sign-in
owner-sign-in-explained = This needs the room's owner link. Open the link you were given when the room was created, or paste the owner token
sign-in-token-part = (the part after
sign-in-token-part-end = ) here.
owner-token = Owner token
owner-sign-in-submit = Open the controls
owner-new-link = New owner link.
owner-new-link-explained = The old one no longer works. Keep this one to manage the room from another device; it is shown only once:
owner-read-transcript = Read its transcript.
owner-settings = Settings
owner-hashtags = Hashtags
owner-hashtags-hint = separated by spaces
owner-slow-mode = Slow mode
owner-slow-mode-hint = seconds between posts per person, 0 or empty = off
owner-moderation = Moderation
owner-moderation-post = Show posts at once
owner-moderation-approve = Approve each post first
owner-blocked-words = Blocked words
owner-blocked-words-hint = one word or phrase per line; posts using one wait for your approval
owner-save-settings = Save settings
owner-closing-time = Closing time
owner-closes-on = The room closes by itself on
owner-transcript-stays = Its transcript stays readable after that.
owner-set-closing-time = Set closing time
owner-posting = Posting
owner-pause = Pause posting
owner-resume = Resume posting
owner-rotate = New owner link (the old one stops working)
owner-close = Close the room
owner-embed = Embed
owner-embed-hint = Show the room's messages, live and read-only, in another web page (a course page, a blog): paste this code into its HTML.
owner-embed-code = Embed code
owner-embed-copy = Copy the embed code
owner-reactions = Reaction emoji
owner-reactions-hint = 1 to 8, separated by spaces; participants tap them, the projector shows the counts
owner-save-reactions = Save reactions
owner-poll-question = Question
owner-poll-options = Options
owner-poll-options-hint = one per line, 2 to 10
owner-poll-multiple = Participants may choose several options
owner-poll-open = Open the poll
owner-no-polls = No polls yet.
owner-moderators = Moderators
owner-moderators-explained = A moderator link lets its holder delete, approve and reject messages, mute people and mark questions, but not change the room's settings, close it or run polls.
owner-moderator-since = since
owner-revoke = Revoke { $label }
owner-no-moderators = No moderators.
owner-moderator-name = Name
owner-moderator-name-hint = optional; it names them in the audit log
owner-add-moderator = Add a moderator link
owner-muted = Muted
owner-muted-hint = Muted people cannot post here, and posts by muted Twitter, Mastodon and Bluesky authors are left out.
owner-muted-since = muted
owner-nobody-muted = Nobody is muted.
audit-heading = Audit log
audit-when = When
audit-who = Who
audit-action = Action
audit-target = Target
audit-empty = Nothing yet.

## Co-moderators

moderate-title = Moderate
moderate-heading = Moderate:
moderate-you-are = You are a moderator of this room:
moderate-audited = Your actions are in the room's audit log under your name.
moderator-sign-in-title = Moderator sign-in
moderator-sign-in-explained = This needs a moderator link of this room. Open the link the room's owner gave you, or paste its token
moderator-token = Moderator token
moderator-sign-in-submit = Open the moderation page
moderator-link-title = Moderator link
moderators-heading-prefix = Moderators:
moderator-link-new = New moderator link.
moderator-link-explained = Give it to your co-moderator: it lets its holder delete, approve and reject messages, mute people and mark questions, but not change the room. It is shown only once:
moderator-link-already-shown = This link was already shown. Add another moderator if it was lost (and revoke the old one).
back-to-owner-controls = Back to the owner controls

## Site admin

admin-title = Admin
admin-sign-in = Admin sign-in
admin-user = User
admin-sign-in-submit = Sign in
admin-sign-out = Sign out { $name }
admin-pages = Pages
admin-new-page = New page
admin-page = Page
admin-page-title = Title
admin-edit = Edit
admin-no-pages = No pages.
admin-rooms = Rooms
admin-room = Room
admin-state = State
admin-expires = Expires
admin-close-room = Close
admin-close-room-label = Close { $slug }
admin-no-rooms = No rooms.
admin-edit-page = Edit page
admin-edit-page-named = Edit { $path }
admin-page-address = Address
admin-page-text = Text
admin-save = Save
admin-back = Back

## Messages of the pages' forms

join-type-a-name = Type the room's name.
join-not-a-name = That is not a room name: { $reason }.
join-no-such-room = There is no room named { $slug }. Check the spelling with whoever gave you the name.
notice-settings-saved = Settings saved.
notice-lifetime-set = New closing time saved: see “Closing time”.
admin-too-many-attempts = Too many attempts; wait a minute.
admin-wrong-login = Wrong user or password.
admin-page-invalid = Addresses are a-z, 0-9 and dashes; a title is required; bodies up to 200 kB.
owner-wrong-token = That is not this room's owner token.
moderator-wrong-token = That is not a moderator link of this room, or it was revoked.
owner-slow-mode-invalid = Slow mode is a whole number of seconds from 0 to { $max } (0 or empty = off).

# The plain-text answer to a form posted from another site.
form-cross-site = This form must be sent from this site.
