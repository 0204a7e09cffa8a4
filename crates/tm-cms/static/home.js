// Live availability hint for the room name on the create form. The CMS answers with the same
// rules as creation (reserved names too); a closed room's name is free again.
// Texts in the page's language (src/i18n/client.rs), `{path}` filled in here.
const texts = JSON.parse(document.getElementById('tm-strings')?.textContent || '{}').texts || {};
const say = (key, path) => (texts[key] || '').replace('{path}', path);
const input = document.querySelector('[data-name-check]');
const hint = document.querySelector('[data-name-hint]');
let timer;
if (input && hint) {
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
}
async function check() {
  const typed = input.value.trim();
  if (!typed) {
    hint.textContent = '';
    return;
  }
  let response;
  try {
    response = await fetch(`/rooms/name-check?name=${encodeURIComponent(typed)}`);
  } catch {
    hint.textContent = '';
    return;
  }
  if (typed !== input.value.trim()) return; // typed on since: a newer check follows
  const answer = await response.json().catch(() => null);
  if (response.ok && answer) {
    hint.textContent = answer.available
      ? say('name-check-free', `/r/${answer.name}`)
      : say('name-check-taken', `/r/${answer.name}`);
  } else if (response.status === 422 && answer?.error) {
    hint.textContent = answer.error.message.charAt(0).toUpperCase() + answer.error.message.slice(1) + '.';
  } else {
    hint.textContent = '';
  }
}
