// tm owner and admin controls: ask before a form that cannot be undone is sent, and copy
// buttons. Progressive enhancement: without this file the server asks on a page of its own
// (forms without confirmed=yes), and the text to copy is selectable by hand.

// Texts in the page's language (src/i18n/client.rs).
const texts = JSON.parse(document.getElementById('tm-strings')?.textContent || '{}').texts || {};

// <form data-confirm="question"> with <input type="hidden" name="confirmed">: the browser's own
// dialog asks; a yes tells the server it need not ask again.
for (const form of document.querySelectorAll('form[data-confirm]')) {
  form.addEventListener('submit', (event) => {
    if (!window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    const confirmed = form.querySelector('input[name=confirmed]');
    if (confirmed) confirmed.value = 'yes';
  });
}

// <button data-copy="id of a field" hidden>: shown when scripts run; copies the field's text
// and says so in the [data-copy-status] next to it. Without clipboard access the text is left
// selected, for Ctrl+C.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const source = document.getElementById(button.dataset.copy);
  const status = button.parentElement.querySelector('[data-copy-status]');
  if (!source) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(source.value);
      copied = true;
    } catch {
      source.select();
      copied = document.execCommand('copy');
    }
    if (status) status.textContent = copied ? texts['copy-done'] : texts['copy-by-hand'];
  });
}
