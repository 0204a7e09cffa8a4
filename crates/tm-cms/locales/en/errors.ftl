# Error messages: the `message` of the JSON API's `{"error": {"code", "message"}}` (keyed by
# its code, which never changes), and of the same errors on the pages' forms.
# English answers use the engine's own wording, which can say more (the exact limit, the
# name); these English texts are what the other languages translate, and the fallback.
# `$seconds` is set where the answer has a Retry-After.

error-internal = an unexpected error occurred
error-unavailable = the service is temporarily unavailable; try again shortly
error-not_found = no such endpoint
error-method_not_allowed = this method is not allowed here
error-invalid_request = the request body does not have the shape this endpoint expects
error-invalid_json = the request body is not valid JSON for this endpoint
error-invalid_query = the query string is not valid for this endpoint
error-payload_too_large = the request body is too large
error-unsupported_media_type = the request body must be JSON (Content-Type: application/json)
error-room_not_found = no such room
error-room_closed = the room is closed
error-room_paused = the room is paused
error-password_required = this room needs a password
error-wrong_password = wrong password
error-not_member = this token belongs to another room
error-invalid_token = the token is not valid (expired or malformed): join the room again
error-token_required = this needs a join token of the room as bearer
error-too_many_attempts = too many attempts; try again in { $seconds } s
error-message_not_found = no such message in this room
error-not_owner = this needs the room's owner token
error-not_pending = the message is not waiting for approval
error-invalid_participant = participant ids are 1 to 128 characters
error-muted = you are muted in this room
error-slow_down = slow down: try again in { $seconds } s
# The page's text for a refused live post (the refusal carries no number of seconds).
error-slow_down-soon = slow down: wait a moment and try again
error-not_approved = the room's owner did not approve this message
error-invalid_name = room names are 3 to 64 characters of a-z, 0-9 and single dashes, not at either end, and not reserved
error-invalid_nickname = nicknames are 1 to 32 characters, without control or invisible characters
error-body_empty = the message is empty
error-body_too_long = the message is longer than this room allows
error-invalid_body = the message contains control or invisible characters
error-invalid_hashtag = hashtags are 1 to 100 letters, digits or underscores, not only digits
error-invalid_lifetime = lifetime must be one of 2h, 1d, 1w, 1m, 1y
error-invalid_reaction = a reaction is a single emoji
error-invalid_reactions = reactions are 1 to 8 different emoji, each a single emoji
error-invalid_topic = the topic is at most 200 characters, without control characters
error-invalid_password = passwords are 1 to 128 characters
error-invalid_max_length = max_length is out of range
error-invalid_slow_mode = slow_mode_seconds must be between 0 and 3600
error-too_many_hashtags = a room follows at most 10 hashtags
error-too_many_blocked_words = a room blocks too many words or phrases
error-invalid_blocked_word = a blocked word or phrase is not valid
error-invalid_state = a room may only be set to open or paused; use /close to close it
error-name_taken = a room with this name is open
error-too_many_rooms = too many rooms created from this address; try again in { $seconds } s
error-poll_not_found = no such poll in this room
error-poll_closed = the poll is closed
error-invalid_poll = the poll is not valid: a question and 2 to 10 different options
error-single_choice = this poll takes one option
error-unknown_option = an option id is not one of this poll's
error-moderator_not_found = no such moderator in this room
error-invalid_label = labels are at most 50 characters, without control or invisible characters
error-too_many_moderators = a room has at most 20 moderators at once; revoke one first
