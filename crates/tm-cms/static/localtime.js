// Shows the server's UTC times (<time datetime data-local="time|datetime">) in the reader's own
// time zone, in the page's language (<html lang>), with the formats live.js uses for messages
// that arrive live.
const lang = document.documentElement.lang || undefined;
const formats = {
  time: { hour: '2-digit', minute: '2-digit' },
  datetime: { dateStyle: 'medium', timeStyle: 'short' },
};
for (const element of document.querySelectorAll('time[data-local]')) {
  const at = new Date(element.dateTime);
  const format = formats[element.dataset.local];
  if (!format || Number.isNaN(at.getTime())) continue;
  element.title = at.toLocaleString(lang, formats.datetime);
  element.textContent = element.dataset.local === 'time'
    ? at.toLocaleTimeString(lang, format)
    : at.toLocaleString(lang, format);
}
