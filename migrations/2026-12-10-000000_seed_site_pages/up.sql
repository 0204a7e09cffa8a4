-- The help, about and privacy pages that every page links to, so a fresh install answers them.
-- INSERT IGNORE: a page an admin already made at one of these addresses stays as it is.
-- Admins edit them like any other page (/admin).
INSERT IGNORE INTO pages (slug, title, body_markdown, updated_at) VALUES (
    'help',
    'Help',
    'tm gives your class, talk or meeting a room where everyone can post short messages that appear
live for everybody. Nobody needs an account: people join with the room''s link and a nickname.

## Open a room

1. On the [home page](/), pick a name for the room: 3 to 64 characters, letters a–z, digits and
   single dashes, for example `physics-101`. The room''s address is `/r/` and its name.
2. Choose how long it stays open: 2 hours, 1 day, 1 week, 1 month or 1 year. You can change
   this later on the owner page.
3. Optionally add a topic, hashtags to follow (posts with them on Twitter, Mastodon and Bluesky
   then appear in the room), and a password (only people who know it can get in).
4. Press **Create room**. You land in your room and see its **owner link** once. Keep it: it is
   the only way to manage the room from another browser or device.

## Join a room

Open the link you were given, or type the room''s name into **Join a room** on the home page.
Pick a nickname, write your message and press **Post** (or Ctrl+Enter). Messages appear for
everyone at once. The page works without JavaScript too: it then shows new messages when you
post or reload.

## For the room''s owner

The browser that created the room (or that opened the owner link) sees **Owner controls** on the
room page. There you can:

- change the topic and the hashtags the room follows;
- turn on **slow mode** (seconds each person must wait between posts) or **approve each post**
  before anyone sees it;
- **pause** posting and resume it, or **close** the room for good;
- see when the room closes by itself and **keep it open longer**;
- delete messages, and **mute** or unmute their authors (also authors of posts from Twitter,
  Mastodon and Bluesky); the buttons are on every message of the room page and the owner page;
- copy the code that **embeds** the room, read-only, in another web page;
- get a new owner link if the old one leaked.

## Show it, keep it

- **Projector** shows the room in large type with a QR code for joining, for a big screen.
- **Transcript** lists every message, with downloads as text, JSON and CSV. It stays available
  after the room closes, until closed rooms are deleted.

## When a room closes

A room closes when its time runs out or its owner closes it. Nobody can post after that, and
its name becomes free: anyone may open a new room with the same name. The old room''s transcript
stays readable for a while (30 days, unless this site''s operators chose another period) and is
then deleted with all its messages.
',
    UTC_TIMESTAMP(6)
);
INSERT IGNORE INTO pages (slug, title, body_markdown, updated_at) VALUES (
    'about',
    'About tm',
    'This site runs **tm**, a place for short-lived rooms where an audience talks back: a class asks
questions during a lecture, a conference collects comments during a talk, a meeting gathers ideas.
It follows the idea of TodaysMeet: anyone opens a room under a name of their choice, people join
with only a nickname, and short messages appear live for everyone.

- **No accounts.** Neither the room''s owner nor its participants sign up. The owner keeps a
  private link; everyone else needs only the room''s address (and its password, if it has one).
- **Short-lived.** Every room closes after the time its owner chose, and closed rooms are
  deleted some time later with everything in them.
- **Works everywhere.** Pages are plain HTML that work without JavaScript, on phones and on a
  projector, and read out well with a screen reader.

tm is free software under the GNU Affero General Public License, version 3 or later: you may
run, study, change and share it. See the [source code](/source).

The people who run this site can change this page in the site''s admin area.
',
    UTC_TIMESTAMP(6)
);
INSERT IGNORE INTO pages (slug, title, body_markdown, updated_at) VALUES (
    'privacy',
    'Privacy',
    'tm keeps as little about you as it can, for as short a time as it can.

## What is stored

- **What you post** in a room, with the nickname you chose and the time. Everyone who can open
  the room can read it, on the room page, the projector, the embed and the transcript.
- **Posts from Twitter, Mastodon and Bluesky** that carry a hashtag a room follows, with their
  author''s public name and a link to the original. A post deleted at its source is deleted here
  too.
- **Room settings**: name, topic, hashtags, lifetime, and a password only as a one-way hash.
- **What the room''s owner does** (deletions, mutes, settings), in a log only the owner sees.

There are no accounts, and no e-mail addresses are asked for.

## Cookies

tm sets only cookies it needs, all marked so that scripts cannot read them:

- `tm_pid`: a random id for your browser, so your messages keep their colour and the room''s
  limits and mutes apply to you and not to your neighbour;
- `tm_nick`: the nickname you used last, to fill it in for you;
- `tm_owner_…`: the owner''s key to a room, only in the browser that created or manages it;
- `tm_access_…`: that you entered a room''s password (for one day);
- `tm_admin`: the session of a site admin;
- `tm_flash_owner`, `tm_flash_notice`: a message for the next page you open (the owner link
  once, or "Settings saved."), gone after a few minutes.

There is no advertising, no tracking and nothing loaded from other sites.

## Addresses

Your internet address is used, in memory, to limit how fast one address may create rooms and
post. A post sent without the `tm_pid` cookie (from a script, for example) is linked to a salted
hash of the address instead, which is stored with it; the address itself is not stored. The web
server in front of tm may keep access logs; ask the people who run this site how long.

## How long

A room closes when its time runs out or its owner closes it. Closed rooms are deleted, with
their messages, settings and logs, after a retention period: 30 days, unless this site''s
operators set another one. A message the owner deletes is gone at once from every page,
transcript and download.

## Password rooms

A room with a password is private: its messages, transcript, projector and embed are shown only
to people who entered the password, and to its owner.

The people who run this site can change this page in the site''s admin area. Ask them about
anything it does not answer.
',
    UTC_TIMESTAMP(6)
);
