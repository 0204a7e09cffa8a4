# tm's pages in German. Keys: as in ../en/pages.ftl (the reference).

## Site chrome

skip-to-content = Zum Hauptinhalt springen
nav-help = Hilfe
nav-about = Über tm
nav-privacy = Datenschutz
nav-source = Quellcode
language-label = Sprache
language-submit = Sprache wechseln
optional = optional
page-render-failed = Diese Seite konnte nicht angezeigt werden.

## Dates written by the server, in UTC

date-time-utc = { $time } UTC
date-datetime-utc = { $day }. { $month } { $year }, { $time } UTC
date-month-short = { $month ->
    [1] Jan.
    [2] Feb.
    [3] März
    [4] Apr.
    [5] Mai
    [6] Juni
    [7] Juli
    [8] Aug.
    [9] Sept.
    [10] Okt.
    [11] Nov.
   *[12] Dez.
}

## Room lifetimes

lifetime-label = Offen halten für
lifetime-from-now = { $lifetime } ab jetzt
lifetime-2h = 2 Stunden
lifetime-1d = 1 Tag
lifetime-1w = 1 Woche
lifetime-1m = 1 Monat
lifetime-1y = 1 Jahr

## Home page

home-title = { $site }: ein Raum für Ihr Publikum
home-heading = Einen Raum für Ihren Unterricht oder Vortrag öffnen
home-intro = Namen wählen, Link teilen – und alle können kurze Nachrichten schreiben, die sofort erscheinen. Ohne Konto.
home-join-heading = Einem Raum beitreten
home-join-room = Raumname oder Link
home-join-submit = Beitreten
home-create-heading = Neuen Raum öffnen
home-room-name = Raumname
home-room-name-example = ihr-name
home-room-name-rules = 3–64 Zeichen, a–z, 0–9 und Bindestriche
home-topic = Thema
home-hashtags = Hashtags folgen
home-hashtags-hint = optional, durch Leerzeichen getrennt: Beiträge von Twitter, Mastodon und Bluesky erscheinen im Raum
home-password = Passwort
home-password-hint = optional: nur wer es kennt, kann beitreten
home-create-submit = Raum erstellen

## Room page

room-open-until = Offen bis
room-keep-open-longer = länger offen halten
room-you-own-it = Dieser Raum gehört Ihnen.
room-owner-link-once = Bewahren Sie diesen Link auf, um den Raum von einem anderen Gerät aus zu verwalten; er wird nur einmal angezeigt:
connection-closed = geschlossen
connection-offline-room = nicht live (Schreiben funktioniert trotzdem)
connection-offline-owner = nicht live (neu laden, um neue Nachrichten zu sehen)
room-link-projector = Beamer
room-link-transcript = Protokoll
room-link-owner = Raumverwaltung
room-link-moderate = Moderieren
room-state-paused = Dieser Raum ist pausiert: Schreiben ist gerade nicht möglich.
room-state-closed = Dieser Raum ist geschlossen.
room-state-name = { $state ->
    [open] offen
    [paused] pausiert
   *[closed] geschlossen
}
room-nickname = Spitzname
room-message = Nachricht
room-message-limit = bis zu { $max } Zeichen
room-post = Senden
reactions-label = Reaktionen
react-with = Mit { $emoji } reagieren
pinned-section-label = Angeheftet
pinned-label = Angeheftet:
polls-label = Umfragen
polls-heading = Umfragen
sort-label = Sortieren:
sort-newest = Neueste
sort-most-votes = Meiste Stimmen
messages-label = Nachrichten
messages-heading = Nachrichten
messages-none-yet = Noch keine Nachrichten.
messages-none = Keine Nachrichten.

## One message

vote-label = Nachricht von { $nickname } hochstimmen: { $excerpt }
badge-answered = beantwortet
badge-pinned = angeheftet
message-via = über { $kind }
message-waiting-for-approval = wartet auf Freigabe
message-author-muted = Verfasser stummgeschaltet

## The owner's and moderators' buttons on a message

action-approve = Freigeben
action-approve-label = { $nickname } freigeben: { $excerpt }
action-reject = Ablehnen
action-reject-label = { $nickname } ablehnen: { $excerpt }
action-delete = Löschen
action-delete-label = { $nickname } löschen: { $excerpt }
action-mark-answered = Als beantwortet markieren
action-mark-unanswered = Als unbeantwortet markieren
action-pin = Anheften
action-unpin = Lösen
action-mute = { $nickname } stummschalten
action-unmute = Stummschaltung von { $nickname } aufheben
close-question = { $slug } endgültig schließen? Danach kann niemand mehr darin schreiben, und der Name wird für einen neuen Raum frei. Das Protokoll bleibt lesbar.

## Polls

poll-voted = { $count ->
    [one] hat abgestimmt
   *[other] haben abgestimmt
}
poll-state-open = offen
poll-state-open-any = offen, Mehrfachwahl
poll-state-closed = beendet
poll-option-share = { $option }: { $share } %
poll-option-count = { $votes } ({ $share } %)
poll-close = Umfrage „{ $question }“ beenden

## Closed room, closing, embedding, errors

closed-heading = { $slug } ist geschlossen
closed-by-owner = Der Raum wurde von seinem Besitzer geschlossen.
closed-by-admin = Die Betreiber der Seite haben den Raum geschlossen.
closed-expired = Seine Zeit ist abgelaufen.
closed-no-posting = Niemand kann mehr darin schreiben.
closed-read-transcript = Das Protokoll lesen
closed-transcript-of-everything = – alles, was gesagt wurde.
closed-name-free = Der Name ist wieder frei:
closed-open-new-room = Öffnen Sie gern einen neuen Raum namens { $slug }.
confirm-close-heading = { $slug } schließen?
confirm-close-yes = Ja, Raum schließen
confirm-close-no = Nein, offen lassen
embed-join = Mitdiskutieren
error-page-open-new-room = Einen neuen Raum öffnen
error-page-not-found-heading = Nicht gefunden
error-page-not-found-detail = Hier gibt es keinen Raum und keine Seite. Räume verschwinden einige Zeit, nachdem sie geschlossen wurden.
error-page-closed-heading = Dieser Raum ist geschlossen
error-page-closed-detail = Sein Besitzer hat ihn geschlossen, oder seine Zeit ist abgelaufen.
error-page-unavailable-heading = Gleich wieder da
error-page-unavailable-detail = Der Dienst erreicht seine Datenbank gerade nicht. Bitte versuchen Sie es gleich noch einmal; nichts, was Sie schon geschrieben haben, geht verloren.
error-page-forbidden-heading = Nicht erlaubt
error-page-forbidden-detail = Dafür braucht es den Link des Raumbesitzers oder eine Admin-Anmeldung.
error-page-other-heading = Etwas ist schiefgegangen
error-page-other-detail = Bitte versuchen Sie es noch einmal.

## Password, projector, transcript, source

password-title = Passwort
password-asked = Dieser Raum verlangt ein Passwort.
password-label = Passwort
password-submit = Eintreten
projector-title = Beamer
projector-paused = Pausiert
projector-closed = Geschlossen
projector-join-at = Mitmachen unter
top-questions = Top-Fragen
transcript-title = Protokoll
transcript-heading = Protokoll von { $slug }
transcript-download = Herunterladen:
transcript-text = Text
transcript-back = zurück zum Raum
source-licence = Diese Seite läuft mit tm { $version }, freier Software unter der GNU Affero General Public License, Version 3 oder später.
source-not-published = Den Quellcode erhalten Sie von den Betreibern dieser Seite; sie haben hier noch keinen Link darauf veröffentlicht
source-licence-heading = Lizenz

## Owner controls

owner-title = Raumverwaltung
owner-heading = Raumverwaltung:
owner-sign-in-title = Anmeldung als Besitzer
owner-sign-in-explained = Dafür braucht es den Besitzer-Link des Raums. Öffnen Sie den Link, den Sie beim Erstellen des Raums bekommen haben, oder fügen Sie das Besitzer-Token hier ein
sign-in-token-part = (den Teil nach
sign-in-token-part-end = ).
owner-token = Besitzer-Token
owner-sign-in-submit = Verwaltung öffnen
owner-new-link = Neuer Besitzer-Link.
owner-new-link-explained = Der alte funktioniert nicht mehr. Bewahren Sie diesen auf, um den Raum von einem anderen Gerät aus zu verwalten; er wird nur einmal angezeigt:
owner-read-transcript = Sein Protokoll lesen.
owner-settings = Einstellungen
owner-hashtags = Hashtags
owner-hashtags-hint = durch Leerzeichen getrennt
owner-slow-mode = Langsamer Modus
owner-slow-mode-hint = Sekunden zwischen zwei Beiträgen einer Person, 0 oder leer = aus
owner-moderation = Moderation
owner-moderation-post = Beiträge sofort zeigen
owner-moderation-approve = Jeden Beitrag erst freigeben
owner-blocked-words = Gesperrte Wörter
owner-blocked-words-hint = ein Wort oder eine Wendung pro Zeile; Beiträge, die eines enthalten, warten auf Ihre Freigabe
owner-save-settings = Einstellungen speichern
owner-closing-time = Schließzeit
owner-closes-on = Der Raum schließt sich von selbst am
owner-transcript-stays = Sein Protokoll bleibt danach lesbar.
owner-set-closing-time = Schließzeit festlegen
owner-posting = Schreiben
owner-pause = Schreiben pausieren
owner-resume = Schreiben fortsetzen
owner-rotate = Neuer Besitzer-Link (der alte funktioniert dann nicht mehr)
owner-close = Raum schließen
owner-embed = Einbetten
owner-embed-hint = Zeigen Sie die Nachrichten des Raums live und schreibgeschützt auf einer anderen Webseite (einer Kursseite, einem Blog): Fügen Sie diesen Code in deren HTML ein.
owner-embed-code = Einbettungscode
owner-embed-copy = Einbettungscode kopieren
owner-reactions = Reaktions-Emoji
owner-reactions-hint = 1 bis 8, durch Leerzeichen getrennt; Teilnehmende tippen sie an, der Beamer zeigt die Zahlen
owner-save-reactions = Reaktionen speichern
owner-poll-question = Frage
owner-poll-options = Antworten
owner-poll-options-hint = eine pro Zeile, 2 bis 10
owner-poll-multiple = Teilnehmende dürfen mehrere Antworten wählen
owner-poll-open = Umfrage starten
owner-no-polls = Noch keine Umfragen.
owner-moderators = Moderatoren
owner-moderators-explained = Ein Moderator-Link erlaubt es, Nachrichten zu löschen, freizugeben und abzulehnen, Personen stummzuschalten und Fragen zu markieren, aber nicht, die Einstellungen des Raums zu ändern, ihn zu schließen oder Umfragen zu starten.
owner-moderator-since = seit
owner-revoke = { $label } entziehen
owner-no-moderators = Keine Moderatoren.
owner-moderator-name = Name
owner-moderator-name-hint = optional; unter diesem Namen erscheint die Person im Prüfprotokoll
owner-add-moderator = Moderator-Link hinzufügen
owner-muted = Stummgeschaltet
owner-muted-hint = Stummgeschaltete Personen können hier nicht schreiben, und Beiträge stummgeschalteter Twitter-, Mastodon- und Bluesky-Konten werden ausgelassen.
owner-muted-since = stummgeschaltet
owner-nobody-muted = Niemand ist stummgeschaltet.
audit-heading = Prüfprotokoll
audit-when = Wann
audit-who = Wer
audit-action = Aktion
audit-target = Ziel
audit-empty = Noch nichts.

## Co-moderators

moderate-title = Moderieren
moderate-heading = Moderieren:
moderate-you-are = Sie moderieren diesen Raum als
moderate-audited = Ihre Aktionen stehen unter Ihrem Namen im Prüfprotokoll des Raums.
moderator-sign-in-title = Anmeldung als Moderator
moderator-sign-in-explained = Dafür braucht es einen Moderator-Link dieses Raums. Öffnen Sie den Link, den Ihnen der Besitzer des Raums gegeben hat, oder fügen Sie sein Token hier ein
moderator-token = Moderator-Token
moderator-sign-in-submit = Moderationsseite öffnen
moderator-link-title = Moderator-Link
moderators-heading-prefix = Moderatoren:
moderator-link-new = Neuer Moderator-Link.
moderator-link-explained = Geben Sie ihn Ihrer Co-Moderation: Er erlaubt es, Nachrichten zu löschen, freizugeben und abzulehnen, Personen stummzuschalten und Fragen zu markieren, aber nicht, den Raum zu ändern. Er wird nur einmal angezeigt:
moderator-link-already-shown = Dieser Link wurde schon angezeigt. Fügen Sie einen weiteren Moderator hinzu, falls er verloren ging (und entziehen Sie den alten).
back-to-owner-controls = Zurück zur Raumverwaltung

## Site admin

admin-title = Verwaltung
admin-sign-in = Anmeldung zur Verwaltung
admin-user = Benutzer
admin-sign-in-submit = Anmelden
admin-sign-out = { $name } abmelden
admin-pages = Seiten
admin-new-page = Neue Seite
admin-page = Seite
admin-page-title = Titel
admin-edit = Bearbeiten
admin-no-pages = Keine Seiten.
admin-rooms = Räume
admin-room = Raum
admin-state = Zustand
admin-expires = Läuft ab
admin-close-room = Schließen
admin-close-room-label = { $slug } schließen
admin-no-rooms = Keine Räume.
admin-edit-page = Seite bearbeiten
admin-edit-page-named = { $path } bearbeiten
admin-page-address = Adresse
admin-page-text = Text
admin-save = Speichern
admin-back = Zurück

## Messages of the pages' forms

join-type-a-name = Bitte den Namen des Raums eingeben.
join-not-a-name = Das ist kein Raumname: { $reason }.
join-no-such-room = Es gibt keinen Raum namens { $slug }. Prüfen Sie die Schreibweise mit der Person, die Ihnen den Namen gegeben hat.
notice-settings-saved = Einstellungen gespeichert.
notice-lifetime-set = Neue Schließzeit gespeichert: siehe „Schließzeit“.
admin-too-many-attempts = Zu viele Versuche; bitte eine Minute warten.
admin-wrong-login = Falscher Benutzer oder falsches Passwort.
admin-page-invalid = Adressen bestehen aus a–z, 0–9 und Bindestrichen; ein Titel ist nötig; Texte bis 200 kB.
owner-wrong-token = Das ist nicht das Besitzer-Token dieses Raums.
moderator-wrong-token = Das ist kein Moderator-Link dieses Raums, oder er wurde entzogen.
owner-slow-mode-invalid = Der langsame Modus ist eine ganze Zahl von Sekunden zwischen 0 und { $max } (0 oder leer = aus).

# The plain-text answer to a form posted from another site.
form-cross-site = Dieses Formular muss von dieser Website aus gesendet werden.
