// tm live module: joins the room's live feed, renders events, posts optimistically, resumes.
// Progressive enhancement only: without this file the page works through form posts.
// User text is only ever set with textContent, never innerHTML.

// The page's texts in its language (src/i18n/client.rs): this file has no words of its own.
// `{name}` placeholders are filled in once each; plurals pick the language's form for a count.
const strings = JSON.parse(document.getElementById('tm-strings')?.textContent || '{}');
const lang = strings.lang || document.documentElement.lang || 'en';
const numbers = new Intl.NumberFormat(lang);
const plurals = new Intl.PluralRules(lang);
const fmt = (n) => numbers.format(n);
function t(key, values = {}) {
  const text = strings.texts?.[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}
// Why the gateway refused something, in the page's language when the page has a text for the
// code, else the frame's own (English) message.
function reasonOf(frame) {
  const key = frame.code === 'slow_down' ? 'error-slow_down-soon' : `error-${frame.code}`;
  return strings.texts?.[key] ?? frame.message ?? frame.code;
}
function tn(key, count) {
  const forms = strings.plurals?.[key] || {};
  return (forms[plurals.select(count)] ?? forms.other ?? key).replaceAll('{count}', fmt(count));
}

const root = document.querySelector('[data-room]');
if (root) start(root);

function start(root) {
  const slug = root.dataset.room;
  const list = root.querySelector('[data-messages]');
  const form = document.querySelector('[data-post-form]');
  const statusEl = document.querySelector('[data-connection]');
  const presenceEl = document.querySelector('[data-presence]');
  const topicEl = document.querySelector('[data-topic]');
  const stateEl = document.querySelector('[data-room-state]');
  const readOnly = root.dataset.readonly === 'true';
  // The owner's buttons, with {id}, {nickname} and {excerpt} to fill in (owners only), and
  // those of a post waiting for approval (the owner page in approve mode).
  const ownerActions = root.querySelector('template[data-owner-actions]');
  const pendingActions = root.querySelector('template[data-owner-actions-pending]');
  const newestFirst = root.dataset.order !== 'oldest-first';
  const state = {
    lastSeq: Number(root.dataset.seq || 0),
    socket: null,
    events: null, // the EventSource while on server-sent events
    onSse: false, // WebSockets do not get through: use server-sent events until a probe joins
    wsFailures: 0, // WebSockets that closed before they opened, in a row
    probeTimer: null,
    joined: false,
    attempt: 0,
    closed: root.dataset.state === 'closed',
    pending: new Map(), // client_id -> {element, body}
    token: null, // the join token: the credential for the CMS's /events too (password rooms)
  };

  // ---- announcements ---------------------------------------------------------------------
  // One polite live region says what a screen reader should hear: each new message once (one's
  // own when the room confirms it, not while it is being sent), and the connection going away
  // and coming back once each, never every retry. The message list (which re-sorts and catches
  // up) and the status line are not live regions.
  const announcer = document.createElement('div');
  announcer.className = 'visually-hidden';
  announcer.setAttribute('role', 'log');
  announcer.dataset.announcer = '';
  document.body.append(announcer);
  function announce(text) {
    const line = document.createElement('p');
    line.textContent = text;
    announcer.append(line);
    while (announcer.childElementCount > 5) announcer.firstElementChild.remove();
  }
  const announceMessage = (message) => announce(`${message.nickname}: ${message.body || ''}`);
  const connection = { wasLive: false, announcedLoss: false };

  const setStatus = (text, kind) => {
    if (kind === 'live') {
      if (connection.announcedLoss) announce(text);
      connection.wasLive = true;
      connection.announcedLoss = false;
    } else if (connection.wasLive && !connection.announcedLoss) {
      connection.announcedLoss = true;
      announce(text);
    }
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.dataset.kind = kind;
  };

  // The speaker colour as its class of tm.css (which has a light and a dark variant of each).
  function colorNick(who, color) {
    if (/^#[0-9a-f]{6}$/i.test(color || '')) who.classList.add('c-' + color.slice(1).toLowerCase());
  }

  // ---- rendering -------------------------------------------------------------------------
  function renderTokens(target, message) {
    for (const token of message.tokens || [{ type: 'text', text: message.body }]) {
      if (token.type === 'url' && /^https?:\/\//i.test(token.url)) {
        const a = document.createElement('a');
        a.href = token.url;
        a.rel = 'nofollow noopener noreferrer ugc';
        a.target = '_blank';
        a.textContent = token.url;
        target.append(a);
      } else if (token.type === 'mention') {
        const span = document.createElement('span');
        span.className = 'mention';
        span.textContent = '@' + token.nickname;
        target.append(span);
      } else if (token.type === 'hashtag') {
        const span = document.createElement('span');
        span.className = 'hashtag';
        span.textContent = '#' + token.tag;
        target.append(span);
      } else {
        target.append(document.createTextNode(token.text ?? token.url ?? ''));
      }
    }
  }

  function messageElement(message, pending) {
    const li = document.createElement('li');
    li.className = 'message kind-' + (message.kind || 'post');
    if (message.id != null) li.id = 'm' + message.id;
    if (message.seq != null) li.dataset.seq = String(message.seq);
    if (pending) li.classList.add('pending');
    const waiting = message.state === 'pending'; // for the owner's approval
    if (waiting) li.classList.add('pending-approval');
    const who = document.createElement('span');
    who.className = 'nick';
    colorNick(who, message.color);
    who.textContent = message.nickname;
    const body = document.createElement('span');
    body.className = 'body';
    body.dir = 'auto'; // a message runs in its own direction, whatever the page's
    renderTokens(body, message);
    const meta = document.createElement('span');
    meta.className = 'meta';
    if (pending) {
      meta.textContent = t('live-sending');
    } else {
      const time = document.createElement('time');
      time.dateTime = message.created_at;
      time.textContent = new Date(message.created_at).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
      meta.append(time);
      if (message.source_url && /^https?:\/\//i.test(message.source_url)) {
        const src = document.createElement('a');
        src.href = message.source_url;
        src.rel = 'nofollow noopener noreferrer';
        src.target = '_blank';
        src.textContent = ' ' + t('message-via', { kind: message.kind });
        meta.append(src);
      }
      if (waiting) meta.append(' · ' + t('message-waiting-for-approval'));
    }
    li.append(who, body, meta);
    if (!pending && !waiting && message.id != null) {
      li.dataset.votes = String(message.votes || 0);
      li.append(qaElement(message));
      applyMarks(li, message);
    }
    if (ownerActions && !pending && message.id != null) li.append(ownerActionsFor(message));
    return li;
  }

  // A copy of the owner's buttons for one message. Its text goes in as attribute values and
  // text nodes (never markup), each placeholder replaced once.
  function ownerActionsFor(message) {
    const words = (message.body || '').split(/\s+/).filter(Boolean).join(' ');
    const values = {
      id: String(message.id),
      nickname: message.nickname || '',
      excerpt: [...words].length > 40 ? [...words].slice(0, 39).join('') + '…' : words,
    };
    const fill = (text) => text.replace(/\{(id|nickname|excerpt)\}/g, (_, key) => values[key]);
    const template = message.state === 'pending' && pendingActions ? pendingActions : ownerActions;
    const actions = template.content.firstElementChild.cloneNode(true);
    for (const element of [actions, ...actions.querySelectorAll('*')]) {
      for (const attribute of element.attributes) attribute.value = fill(attribute.value);
    }
    const texts = document.createTreeWalker(actions, NodeFilter.SHOW_TEXT);
    while (texts.nextNode()) texts.currentNode.nodeValue = fill(texts.currentNode.nodeValue);
    return actions;
  }

  function insert(element) {
    const empty = list.querySelector('.empty');
    if (empty) empty.remove();
    if (newestFirst) list.prepend(element); else list.append(element);
    if (!newestFirst) element.scrollIntoView({ block: 'end' });
    if (sortBy === 'votes') sortMessages();
  }

  function applyEvent(event) {
    const data = event.data || {};
    switch (event.event) {
      case 'message.created': {
        if (data.deleted) { // deleted since: its entry keeps the seq, without the text
          const gone = document.getElementById('m' + data.id);
          if (gone) gone.remove();
          break;
        }
        const pending = data.client_id && state.pending.get(data.client_id);
        const element = messageElement(data, false);
        const shown = document.getElementById('m' + data.id);
        if (pending) {
          pending.element.replaceWith(element);
          state.pending.delete(data.client_id);
          if (!catchingUp) announceMessage(data);
        } else if (!shown) {
          insert(element);
          if (!catchingUp) announceMessage(data);
        } else if (shown.classList.contains('pending-approval')) {
          shown.replaceWith(element); // approved (owner page): now visible
        }
        break;
      }
      case 'message.deleted': {
        const gone = document.getElementById('m' + data.id);
        if (gone) gone.remove();
        forgetPinned(data.id);
        removeTop(data.id);
        break;
      }
      case 'message.updated': {
        if (data.deleted) { // deleted since: like message.created, the entry keeps only its seq
          const gone = document.getElementById('m' + data.id);
          if (gone) gone.remove();
          forgetPinned(data.id);
          removeTop(data.id);
          break;
        }
        updateMessage(data);
        break;
      }
      case 'poll.opened':
      case 'poll.updated':
      case 'poll.closed':
        showPoll(data);
        break;
      case 'room.updated': {
        if (topicEl) topicEl.textContent = data.topic || '';
        setRoomState(data.state);
        setReactions(data.reactions);
        break;
      }
      case 'room.closed': {
        setRoomState('closed');
        state.closed = true;
        if (state.socket) state.socket.close(1000);
        stopEvents();
        break;
      }
    }
  }

  function setRoomState(roomState) {
    root.dataset.state = roomState;
    document.body.dataset.roomState = roomState;
    if (stateEl) {
      stateEl.textContent = roomState === 'paused' ? t('room-state-paused')
        : roomState === 'closed' ? t('room-state-closed') : '';
      stateEl.hidden = roomState === 'open';
    }
  }

  function handleEvent(frame) {
    if (frame.seq <= state.lastSeq) return; // already shown (replay overlap)
    if (frame.seq !== state.lastSeq + 1) return catchUp();
    applyEvent(frame);
    state.lastSeq = frame.seq;
  }

  // ---- catching up from the CMS (after `reset` or a gap) ---------------------------------------
  let catchingUp = null;
  function catchUp() {
    if (catchingUp) return catchingUp;
    catchingUp = (async () => {
      for (let page = 0; page < 100; page++) {
        const response = await fetchEvents();
        if (!response.ok) throw new Error('events ' + response.status);
        const body = await response.json();
        for (const event of body.events) {
          if (event.seq === state.lastSeq + 1) { applyEvent(event); state.lastSeq = event.seq; }
        }
        if (body.events.length === 0 || state.lastSeq >= body.seq) break;
      }
    })().finally(() => { catchingUp = null; });
    return catchingUp;
  }

  // Password rooms answer /events only to a credential of the room: the join token, renewed
  // once if it expired since the socket joined.
  async function fetchEvents() {
    const url = `/api/v1/rooms/${encodeURIComponent(slug)}/events?after=${state.lastSeq}&limit=1000`;
    const get = () => fetch(url, {
      credentials: 'same-origin',
      headers: state.token ? { Authorization: 'Bearer ' + state.token } : {},
    });
    const response = await get();
    if (response.status !== 401) return response;
    state.token = (await joinToken()).token;
    return get();
  }

  // ---- the socket ------------------------------------------------------------------------------
  async function joinToken() {
    const response = await fetch(`/r/${encodeURIComponent(slug)}/token`, { method: 'POST', credentials: 'same-origin' });
    if (!response.ok) throw new Error('join ' + response.status);
    return response.json();
  }

  // ---- the transports ----------------------------------------------------------------------------
  // The WebSocket first. Where it does not open within a few seconds, or fails twice before it
  // opens (a proxy that refuses upgrades), the page falls back to server-sent events from the
  // gateway's /sse and posts over the CMS's JSON API; every minute it tries the WebSocket again
  // and moves back once that has joined. Both feeds carry the room's seqs and handleEvent drops
  // what is already shown, so a switch neither skips nor repeats an event.
  const WS_OPEN_TIMEOUT_MS = 4000;
  const WS_FAILURES_BEFORE_SSE = 2;
  const WS_RETRY_MS = 60000;
  const ROOM_EVENTS = ['message.created', 'message.deleted', 'message.updated', 'room.updated', 'room.closed',
    'poll.opened', 'poll.updated', 'poll.closed'];

  async function connect() {
    if (state.closed) return;
    setStatus(state.attempt === 0 ? t('live-connecting') : t('live-reconnecting'), 'connecting');
    let join;
    try {
      join = await joinToken();
    } catch (error) {
      return scheduleReconnect(false);
    }
    state.token = join.token;
    enableVoting();
    if (state.onSse) openEvents(join); else openSocket(join, false);
  }

  // A WebSocket: the page's feed, or (probe) a trial while on server-sent events, which becomes
  // the feed once it has joined.
  function openSocket(join, probe) {
    const socket = new WebSocket(join.gateway_url);
    let opened = false;
    let timedOut = false;
    if (!probe) {
      state.socket = socket;
      state.joined = false;
    }
    const openTimer = setTimeout(() => {
      if (opened) return;
      timedOut = true;
      socket.close();
    }, WS_OPEN_TIMEOUT_MS);
    socket.addEventListener('open', () => {
      opened = true;
      clearTimeout(openTimer);
      socket.send(JSON.stringify({ type: 'join', token: join.token, since: state.lastSeq }));
    });
    socket.addEventListener('message', (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      if (probe && frame.type === 'joined' && state.onSse && !state.socket) {
        stopEvents(); // the WebSocket gets through again
        state.onSse = false;
        state.socket = socket;
      }
      if (state.socket !== socket) return;
      switch (frame.type) {
        case 'joined':
          state.wsFailures = 0;
          joined(frame);
          showReactionButtons();
          break;
        case 'reset':
          catchUp().then(() => socket.close(4000, 'resync')).catch(() => socket.close(4000, 'resync'));
          break;
        case 'accepted': markAccepted(frame.client_id); break;
        case 'error': if (!reactionError(frame)) handleError(frame); break;
        default: handleFrame(frame);
      }
    });
    socket.addEventListener('close', (event) => {
      clearTimeout(openTimer);
      if (state.socket !== socket) {
        if (probe && state.onSse) scheduleProbe();
        return;
      }
      state.socket = null;
      state.joined = false;
      if (state.closed) return;
      if (!opened && (timedOut || ++state.wsFailures >= WS_FAILURES_BEFORE_SSE)) {
        state.onSse = true;
        state.wsFailures = 0;
        return scheduleReconnect(true);
      }
      scheduleReconnect(event.code === 1001 || event.code === 4000);
    });
  }

  // Server-sent events: each event's data is the WebSocket's frame, room events named after
  // the event and carrying their seq as the id, so the browser resumes with Last-Event-ID.
  function openEvents(join) {
    const url = new URL(join.gateway_url, location.href);
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    url.pathname = url.pathname.replace(/\/ws$/, '/sse');
    url.search = '';
    url.searchParams.set('token', join.token);
    url.searchParams.set('since', String(state.lastSeq));
    const source = new EventSource(url.href);
    state.events = source;
    state.joined = false;
    const on = (name, handle) => source.addEventListener(name, (message) => {
      if (state.events !== source) return;
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      handle(frame);
    });
    on('joined', (frame) => {
      joined(frame);
      scheduleProbe();
    });
    for (const name of [...ROOM_EVENTS, 'presence', 'rejected', 'reactions']) on(name, handleFrame);
    on('reset', () => { // the gateway ends the stream: catch up, then open a new one from there
      stopEvents();
      state.joined = false;
      catchUp().finally(() => scheduleReconnect(true));
    });
    source.addEventListener('error', () => {
      if (state.events !== source) return;
      state.joined = false;
      setStatus(t('live-reconnecting'), 'reconnecting');
      // Open or reconnecting, the browser resumes by itself with Last-Event-ID; a refusal
      // (an expired token, a draining gateway) closes it for good: start over.
      if (source.readyState === EventSource.CLOSED) {
        state.events = null;
        scheduleReconnect(false);
      }
    });
  }

  function stopEvents() {
    clearTimeout(state.probeTimer);
    if (state.events) state.events.close();
    state.events = null;
  }

  // While on server-sent events, tries the WebSocket again every WS_RETRY_MS.
  function scheduleProbe() {
    clearTimeout(state.probeTimer);
    state.probeTimer = setTimeout(async () => {
      if (!state.onSse || state.closed) return;
      try {
        const join = await joinToken();
        state.token = join.token;
        openSocket(join, true);
      } catch {
        scheduleProbe();
      }
    }, WS_RETRY_MS);
  }

  // Joined the room, over either transport.
  function joined(frame) {
    state.joined = true;
    state.attempt = 0;
    setStatus(t('live-live'), 'live');
    if (frame.seq > state.lastSeq) catchUp();
    flushUnsent();
  }

  // The frames both transports carry alike.
  function handleFrame(frame) {
    switch (frame.type) {
      case 'event': handleEvent(frame); break;
      case 'presence':
        if (presenceEl) presenceEl.textContent = tn('live-presence', frame.count);
        break;
      case 'rejected': markRejected(frame); break;
      case 'reactions': showReactions(frame.counts); break;
    }
  }

  function scheduleReconnect(soon) {
    state.attempt += 1;
    const ceiling = soon ? 1000 : Math.min(30000, 500 * 2 ** Math.min(state.attempt, 6));
    const delay = Math.random() * ceiling; // full jitter: a restarted gateway is not stampeded
    setStatus(t('live-reconnecting'), 'reconnecting');
    setTimeout(connect, delay);
  }

  // ---- posting -----------------------------------------------------------------------------------
  const unsent = []; // {client_id, nickname, body}

  function markAccepted(clientId) {
    const pending = state.pending.get(clientId);
    if (pending) pending.element.querySelector('.meta').textContent = t('live-sent');
  }

  // The CMS refused a post after the gateway accepted it (slow mode, muted, room paused…). The
  // post stays in the list, marked as not sent with the reason, and its text goes back into the
  // empty form so nothing typed is lost. A repeat of the frame (it is sent again after a
  // reconnect) finds nothing pending and changes nothing.
  function markRejected(frame) {
    const pending = frame.client_id && state.pending.get(frame.client_id);
    if (!pending) return;
    state.pending.delete(frame.client_id);
    const element = pending.element;
    element.classList.remove('pending');
    element.classList.add('rejected');
    element.dataset.rejected = frame.code || 'rejected';
    element.querySelector('.meta').textContent = t('live-not-sent', { reason: reasonOf(frame) });
    const textarea = form && form.querySelector('textarea');
    if (textarea && !textarea.value) textarea.value = pending.post.body;
    showFormError(reasonOf(frame));
  }

  function handleError(frame) {
    const pending = frame.client_id && state.pending.get(frame.client_id);
    if (pending) {
      if (frame.code === 'unavailable') {
        unsent.push(pending.post);
        pending.element.querySelector('.meta').textContent = t('live-waiting-to-send');
        return;
      }
      pending.element.remove();
      state.pending.delete(frame.client_id);
      const textarea = form && form.querySelector('textarea');
      if (textarea && !textarea.value) textarea.value = pending.post.body; // keep the text
    }
    showFormError(reasonOf(frame));
  }

  function showFormError(text) {
    const error = form && form.querySelector('[data-form-error]');
    if (error) { error.textContent = text; error.hidden = !text; }
  }

  function flushUnsent() {
    while (unsent.length && state.joined) send(unsent.shift());
  }

  function send(post) {
    if (state.socket) state.socket.send(JSON.stringify({ type: 'post', ...post }));
    else postOverHttp(post);
  }

  // On server-sent events a post goes to the CMS's JSON API; its answer stands in for the
  // socket's `accepted` or `error` (the post's message.created still replaces the entry).
  async function postOverHttp(post) {
    let response = null;
    try { response = await api('POST', '/messages', post); } catch { /* offline: retried */ }
    if (response?.ok) return markAccepted(post.client_id);
    if (!response || response.status >= 500) return handleError({ client_id: post.client_id, code: 'unavailable' });
    const error = (await response.json().catch(() => ({}))).error || {};
    handleError({ client_id: post.client_id, code: error.code || String(response.status), message: error.message });
  }

  if (form && !readOnly) {
    const nickname = form.querySelector('[name=nickname]');
    const saved = localStorage.getItem('tm.nickname');
    if (nickname && saved && !nickname.value) nickname.value = saved;
    form.addEventListener('submit', (submit) => {
      if (!state.joined) return; // not live: let the plain form post do the work
      submit.preventDefault();
      const textarea = form.querySelector('textarea');
      const post = { nickname: nickname.value.trim(), body: textarea.value.trim(), client_id: crypto.randomUUID() };
      if (!post.nickname || !post.body) { showFormError(t('live-enter-nickname-and-message')); return; }
      localStorage.setItem('tm.nickname', post.nickname);
      showFormError('');
      const element = messageElement({ nickname: post.nickname, body: post.body, tokens: null, kind: 'post' }, true);
      state.pending.set(post.client_id, { element, post });
      insert(element);
      textarea.value = '';
      send(post);
    });
    form.querySelector('textarea')?.addEventListener('keydown', (key) => {
      if (key.key === 'Enter' && (key.ctrlKey || key.metaKey)) form.requestSubmit();
    });
  }

  // ---- Q&A and polls ---------------------------------------------------------------------------
  // Votes go to the CMS's JSON API with the join token; everyone else sees the counts move with
  // the next (coalesced) message.updated / poll.updated. What this browser voted for is kept in
  // localStorage, so the buttons show it after a reload.
  let sortBy = 'time';
  const votedKey = 'tm.votes.' + slug;
  const ballotsKey = 'tm.polls.' + slug;
  const loadJson = (key, fallback) => { try { return JSON.parse(localStorage.getItem(key)) ?? fallback; } catch { return fallback; } };
  const voted = new Set(loadJson(votedKey, []));
  const ballots = loadJson(ballotsKey, {}); // poll id -> [option id...]
  const pinnedSlot = document.querySelector('[data-pinned-slot]');
  const pollsEl = document.querySelector('[data-polls]');
  const topEl = document.querySelector('[data-top]');

  function qaElement(message) {
    const span = document.createElement('span');
    span.className = 'qa';
    span.dataset.qa = '';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'vote';
    button.dataset.vote = String(message.id);
    button.setAttribute('aria-pressed', String(voted.has(String(message.id))));
    button.disabled = readOnly || !state.token;
    const arrow = document.createElement('span');
    arrow.setAttribute('aria-hidden', 'true');
    arrow.textContent = '▲';
    const count = document.createElement('span');
    count.className = 'vote-count';
    count.dataset.votes = '';
    count.textContent = fmt(message.votes || 0);
    // The name says what the visible count is for (visible text first: WCAG 2.5.3).
    const label = document.createElement('span');
    label.className = 'visually-hidden';
    label.textContent = ': ' + t('vote-label', { nickname: message.nickname, excerpt: (message.body || '').slice(0, 60) });
    button.append(arrow, ' ', count, label);
    const answered = document.createElement('span');
    answered.className = 'badge answered';
    answered.dataset.answered = '';
    answered.textContent = t('badge-answered');
    const pinned = document.createElement('span');
    pinned.className = 'badge pinned';
    pinned.dataset.pinned = '';
    pinned.textContent = t('badge-pinned');
    span.append(button, ' ', answered, ' ', pinned);
    return span;
  }

  function applyMarks(li, message) {
    li.dataset.votes = String(message.votes || 0);
    li.classList.toggle('answered', !!message.answered);
    li.classList.toggle('pinned', !!message.pinned);
    const count = li.querySelector('.vote-count');
    if (count) count.textContent = fmt(message.votes || 0);
    const answered = li.querySelector('.badge.answered');
    if (answered) answered.hidden = !message.answered;
    const pinned = li.querySelector('.badge.pinned');
    if (pinned) pinned.hidden = !message.pinned;
    // The owner's answer and pin buttons offer the opposite of what the message now is.
    toggleMark(li, /\/(un)?answer(\?|$)/, message.answered, 'answer', 'unanswer', t('action-mark-answered'), t('action-mark-unanswered'));
    toggleMark(li, /\/(un)?pin(\?|$)/, message.pinned, 'pin', 'unpin', t('action-pin'), t('action-unpin'));
  }

  function toggleMark(li, pattern, on, set, unset, setLabel, unsetLabel) {
    for (const markForm of li.querySelectorAll('form[action]')) {
      const action = markForm.getAttribute('action');
      if (!pattern.test(action)) continue;
      markForm.setAttribute('action', action.replace(pattern, (_, __, tail) => '/' + (on ? unset : set) + (tail || '')));
      const button = markForm.querySelector('button');
      if (!button) continue;
      const [was, now] = on ? [setLabel, unsetLabel] : [unsetLabel, setLabel];
      button.textContent = now;
      const label = button.getAttribute('aria-label');
      if (label && label.startsWith(was)) button.setAttribute('aria-label', now + label.slice(was.length));
    }
  }

  function updateMessage(message) {
    const li = document.getElementById('m' + message.id);
    if (li) applyMarks(li, message);
    if (message.pinned) showPinned(message); else forgetPinned(message.id);
    updateTop(message);
    if (sortBy === 'votes') sortMessages();
  }

  function showPinned(message) {
    if (!pinnedSlot) return;
    pinnedSlot.dataset.pinnedId = String(message.id);
    const p = document.createElement('p');
    const label = document.createElement('strong');
    label.textContent = t('pinned-label');
    const who = document.createElement('span');
    who.className = 'nick';
    colorNick(who, message.color);
    who.textContent = message.nickname;
    const body = document.createElement('span');
    body.dataset.pinnedBody = '';
    renderTokens(body, message);
    p.append(label, ' ', who, ' ', body);
    pinnedSlot.replaceChildren(p);
    pinnedSlot.hidden = false;
  }

  function forgetPinned(id) {
    if (!pinnedSlot) return;
    if (pinnedSlot.dataset.pinnedId === String(id)) {
      pinnedSlot.replaceChildren();
      pinnedSlot.hidden = true;
      delete pinnedSlot.dataset.pinnedId;
    }
  }

  // The projector's top questions: the five with the most votes, ties oldest first.
  const top = new Map(); // id -> {id, votes, body}
  if (topEl) {
    for (const li of topEl.querySelectorAll('[data-top-id]')) {
      top.set(li.dataset.topId, { id: li.dataset.topId, votes: Number(li.dataset.votes), body: li.dataset.body });
    }
  }

  function updateTop(message) {
    if (!topEl) return;
    if ((message.votes || 0) > 0) {
      top.set(String(message.id), { id: String(message.id), votes: message.votes, body: message.body });
    } else {
      top.delete(String(message.id));
    }
    renderTop();
  }
  function removeTop(id) {
    if (topEl && top.delete(String(id))) renderTop();
  }
  function renderTop() {
    const ranked = [...top.values()].sort((a, b) => b.votes - a.votes || Number(a.id) - Number(b.id)).slice(0, 5);
    const items = ranked.map((q) => {
      const li = document.createElement('li');
      li.dataset.topId = q.id;
      li.dataset.votes = String(q.votes);
      li.dataset.body = q.body;
      const badge = document.createElement('span');
      badge.className = 'votes-badge';
      badge.textContent = '▲ ' + fmt(q.votes);
      li.append(badge, ' ', document.createTextNode(q.body));
      return li;
    });
    topEl.querySelector('[data-top-list]').replaceChildren(...items);
    topEl.hidden = items.length === 0;
  }

  function sortMessages() {
    const items = [...list.querySelectorAll(':scope > li.message')];
    const seq = (li) => Number(li.dataset.seq || 0);
    items.sort(sortBy === 'votes'
      ? (a, b) => Number(b.dataset.votes || 0) - Number(a.dataset.votes || 0) || seq(a) - seq(b)
      : (a, b) => (newestFirst ? seq(b) - seq(a) : seq(a) - seq(b)));
    list.append(...items);
  }

  const sortBar = document.querySelector('[data-sort-bar]');
  if (sortBar && !readOnly) {
    sortBar.hidden = false;
    sortBar.addEventListener('click', (click) => {
      const button = click.target.closest('[data-sort]');
      if (!button) return;
      sortBy = button.dataset.sort;
      for (const b of sortBar.querySelectorAll('[data-sort]')) b.setAttribute('aria-pressed', String(b === button));
      sortMessages();
    });
  }

  function enableVoting() {
    if (readOnly) return;
    for (const button of document.querySelectorAll('button.vote')) {
      button.disabled = false;
      button.setAttribute('aria-pressed', String(voted.has(button.dataset.vote)));
    }
    for (const poll of document.querySelectorAll('[data-poll]')) enablePoll(poll);
  }

  async function api(method, path, body) {
    const send = () => fetch(`/api/v1/rooms/${encodeURIComponent(slug)}${path}`, {
      method,
      credentials: 'same-origin',
      headers: { Authorization: 'Bearer ' + state.token, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    let response = await send();
    if (response.status === 401) { // the join token expired: renew it once
      state.token = (await joinToken()).token;
      response = await send();
    }
    return response;
  }

  document.addEventListener('click', async (click) => {
    const button = click.target.closest('button.vote');
    if (!button || button.disabled || readOnly || !state.token) return;
    const id = button.dataset.vote;
    const casting = button.getAttribute('aria-pressed') !== 'true';
    button.disabled = true;
    try {
      const response = await api(casting ? 'POST' : 'DELETE', `/messages/${id}/vote`);
      if (!response.ok) return;
      const answer = await response.json();
      if (answer.voted) voted.add(id); else voted.delete(id);
      localStorage.setItem(votedKey, JSON.stringify([...voted]));
      button.setAttribute('aria-pressed', String(answer.voted));
      const li = document.getElementById('m' + id);
      if (li) { li.dataset.votes = String(answer.votes); }
      const count = button.querySelector('[data-votes]');
      if (count) count.textContent = String(answer.votes);
      if (sortBy === 'votes') sortMessages();
    } finally {
      button.disabled = false;
    }
  });

  function pollElement(poll) {
    const article = document.createElement('article');
    article.className = 'poll';
    article.id = 'poll' + poll.id;
    article.dataset.poll = String(poll.id);
    article.dataset.multiple = String(poll.multiple);
    article.dataset.state = poll.state;
    const heading = document.createElement('h3');
    heading.className = 'poll-question';
    heading.id = `poll${poll.id}-q`;
    heading.textContent = poll.question;
    article.setAttribute('aria-labelledby', heading.id);
    const meta = document.createElement('p');
    meta.className = 'poll-meta';
    const voters = document.createElement('span');
    voters.dataset.pollVoters = '';
    voters.textContent = fmt(poll.voters);
    const status = document.createElement('span');
    status.dataset.pollState = '';
    status.textContent = poll.state === 'open' ? (poll.multiple ? t('poll-state-open-any') : t('poll-state-open')) : t('poll-state-closed');
    meta.append(voters, ' ' + tn('poll-voted', poll.voters) + ' · ', status);
    const options = document.createElement('ul');
    options.className = 'poll-options';
    for (const option of poll.options) {
      const share = poll.voters > 0 ? Math.floor(option.votes * 100 / poll.voters) : 0;
      const li = document.createElement('li');
      li.dataset.option = String(option.id);
      const choice = document.createElement('button');
      choice.type = 'button';
      choice.className = 'poll-choice secondary';
      choice.dataset.choice = String(option.id);
      choice.setAttribute('aria-pressed', 'false');
      choice.disabled = true;
      choice.textContent = option.text;
      const meter = document.createElement('meter');
      meter.min = 0; meter.max = 100; meter.value = share;
      meter.dataset.optionMeter = '';
      meter.setAttribute('aria-label', t('poll-option-share', { option: option.text, share: fmt(share) }));
      const count = document.createElement('span');
      count.className = 'poll-count';
      count.dataset.optionCount = '';
      count.textContent = t('poll-option-count', { votes: fmt(option.votes), share: fmt(share) });
      li.append(choice, meter, count);
      options.append(li);
    }
    article.append(heading, meta, options);
    return article;
  }

  function showPoll(poll) {
    if (!pollsEl) return;
    const element = pollElement(poll);
    const existing = document.getElementById('poll' + poll.id);
    if (existing) existing.replaceWith(element); else pollsEl.prepend(element);
    pollsEl.hidden = false;
    if (state.token) enablePoll(element);
  }

  function enablePoll(poll) {
    if (readOnly) return;
    const chosen = new Set((ballots[poll.dataset.poll] || []).map(String));
    for (const choice of poll.querySelectorAll('[data-choice]')) {
      choice.disabled = poll.dataset.state !== 'open';
      choice.setAttribute('aria-pressed', String(chosen.has(choice.dataset.choice)));
    }
  }

  document.addEventListener('click', async (click) => {
    const choice = click.target.closest('[data-choice]');
    if (!choice || choice.disabled || readOnly || !state.token) return;
    const poll = choice.closest('[data-poll]');
    const id = poll.dataset.poll;
    let chosen = new Set((ballots[id] || []).map(String));
    if (poll.dataset.multiple === 'true') {
      if (chosen.has(choice.dataset.choice)) chosen.delete(choice.dataset.choice); else chosen.add(choice.dataset.choice);
      if (chosen.size === 0) return; // a ballot names at least one option
    } else {
      chosen = new Set([choice.dataset.choice]);
    }
    const response = await api('POST', `/polls/${id}/votes`, { options: [...chosen].map(Number) });
    if (!response.ok) {
      if (response.status === 410) markPollClosed(poll);
      return;
    }
    ballots[id] = [...chosen];
    localStorage.setItem(ballotsKey, JSON.stringify(ballots));
    showPoll(await response.json());
  });

  // A ballot refused with 410: the poll (or its room) closed before its poll.closed arrived.
  function markPollClosed(poll) {
    poll.dataset.state = 'closed';
    poll.querySelector('[data-poll-state]').textContent = t('poll-state-closed');
    for (const choice of poll.querySelectorAll('[data-choice]')) choice.disabled = true;
  }

  // Posts waiting for approval have no event: the owner page asks for them every few seconds
  // while the room is in approve mode, adds new ones and drops those decided elsewhere.
  const pendingUrl = root.dataset.pendingUrl;
  async function refreshPending() {
    const response = await fetch(pendingUrl, { credentials: 'same-origin' }).catch(() => null);
    if (!response?.ok) return;
    const waiting = (await response.json()).messages;
    const ids = new Set(waiting.map((message) => 'm' + message.id));
    for (const shown of list.querySelectorAll('li.pending-approval')) {
      if (!ids.has(shown.id)) shown.remove();
    }
    for (const message of waiting) {
      if (!document.getElementById('m' + message.id)) insert(messageElement(message, false));
    }
  }
  if (pendingUrl && !state.closed) {
    refreshPending();
    setInterval(refreshPending, 5000);
  }

  // ---- Live reactions ---------------------------------------------------------------------------
  // Buttons send `react` over the socket (so they show only while live). The gateway sends the
  // room's counts at most once a second; each emoji's count shows briefly and fades. The counts
  // are deliberately not in a live region: a screen reader would read out every second.
  const reactionsEl = document.querySelector('[data-reactions]');
  const reactionButtons = document.querySelector('[data-reaction-buttons]');
  const reactionCounts = document.querySelector('[data-reaction-counts]');
  const REACTION_SHOWN_MS = 4000;
  let lastReactionAt = 0;

  function showReactionButtons() {
    if (reactionsEl && !readOnly) reactionsEl.hidden = state.closed || !reactionButtons?.children.length;
  }

  function setReactions(emoji) {
    if (!reactionButtons || !Array.isArray(emoji) || !emoji.length) return;
    reactionButtons.replaceChildren(...emoji.map((e) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.dataset.react = e;
      button.setAttribute('aria-label', t('react-with', { emoji: e }));
      button.textContent = e;
      return button;
    }));
  }

  reactionButtons?.addEventListener('click', (click) => {
    const button = click.target.closest('[data-react]');
    if (!button || !state.joined || !state.socket) return;
    lastReactionAt = Date.now();
    state.socket.send(JSON.stringify({ type: 'react', emoji: button.dataset.react }));
  });

  // While an emoji is shown its count adds up; it fades REACTION_SHOWN_MS after its last change.
  function showReactions(counts) {
    if (!reactionCounts || !counts) return;
    for (const [emoji, count] of Object.entries(counts)) {
      let chip = [...reactionCounts.children].find((c) => c.dataset.emoji === emoji);
      if (!chip) {
        chip = document.createElement('span');
        chip.className = 'reaction-count';
        chip.dataset.emoji = emoji;
        chip.dataset.count = '0';
        reactionCounts.append(chip);
      }
      chip.dataset.count = String(Number(chip.dataset.count) + count);
      chip.textContent = `${emoji} ${fmt(Number(chip.dataset.count))}`;
      chip.classList.remove('fading');
      void chip.offsetWidth; // restart the fade
      chip.classList.add('fading');
      clearTimeout(chip.fadeTimer);
      chip.fadeTimer = setTimeout(() => chip.remove(), REACTION_SHOWN_MS);
    }
  }

  // Errors of a reaction (no client_id) are not the post form's: a refused emoji or a flood
  // only disables nothing and says nothing loud.
  function reactionError(frame) {
    if (frame.client_id) return false;
    const recent = Date.now() - lastReactionAt < 2000;
    return frame.code === 'invalid_reaction' || (recent && frame.code === 'slow_down')
      || (recent && (frame.code === 'room_paused' || frame.code === 'room_closed'));
  }

  // Oldest-first lists (the projector) show the newest message at the bottom: start there.
  if (!newestFirst) list.lastElementChild?.scrollIntoView({ block: 'end' });
  connect();
}
