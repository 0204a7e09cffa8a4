// Live availability hint for the room name on the create form.
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
  const name = input.value.trim().toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,62}[a-z0-9]$/.test(name)) {
    hint.textContent = '3–64 characters: a–z, 0–9 and single dashes.';
    return;
  }
  const response = await fetch(`/api/v1/rooms/${encodeURIComponent(name)}`);
  if (response.status === 404) hint.textContent = `/r/${name} is free.`;
  else if (response.ok) hint.textContent = `/r/${name} is taken while that room is open.`;
  else hint.textContent = '';
}
