// tm owner and admin controls: ask before a form that cannot be undone is sent, and copy
// buttons. Progressive enhancement: without this file the server asks on a page of its own
// (forms without confirmed=yes), and the text to copy is selectable by hand.

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
