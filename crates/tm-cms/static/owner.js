// tm owner link: the owner token rides in the URL fragment (#token), which browsers never send
// to a server. Take it out of the address bar and history, then trade it for the owner cookie.
const form = document.querySelector('[data-owner-sign-in]');
const token = decodeURIComponent(location.hash.slice(1));
if (form && token && !form.dataset.tried) {
  history.replaceState(null, '', location.pathname);
  form.querySelector('[name=token]').value = token;
  form.dataset.tried = 'true';
  form.submit();
}
