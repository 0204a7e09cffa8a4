// The vote-burst benchmark's load: a room, a question, a poll; N participants join (not
// measured); then every participant upvotes the question, paced to finish within the window,
// and casts a poll ballot the same way. tm-cms's CPU (utime + stime from /proc) is read around
// each burst. Prints one JSON object.
//
//   node votes.mjs <cms base URL> <tm-cms pid> [participants=2000] [window seconds=5]
import { readFileSync } from 'node:fs';

const [base, pidArg, nArg, windowArg] = process.argv.slice(2);
if (!base || !pidArg) {
  console.error('usage: node votes.mjs <cms url> <tm-cms pid> [participants] [window seconds]');
  process.exit(64);
}
const N = Number(nArg || 2000);
const WINDOW_MS = Number(windowArg || 5) * 1000;
const CONCURRENCY = 32;
const ticksPerSecond = 100; // Linux USER_HZ

function cpuSeconds(pid) {
  // Fields after the command name (which may contain spaces): utime is the 12th, stime the 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

async function call(method, path, token, body) {
  const response = await fetch(base + path, {
    method,
    headers: { ...(token ? { Authorization: 'Bearer ' + token } : {}), ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function must(method, path, token, body, status) {
  const answer = await call(method, path, token, body);
  if (answer.status !== status) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

// Runs `task(i)` for i in 0..n with `concurrency` in flight, starting task i no earlier than
// i * pace ms after the start (pace 0: as fast as possible). Returns per-task latencies in ms.
async function paced(n, pace, task) {
  const started = performance.now();
  const latencies = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      const due = started + i * pace;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const t0 = performance.now();
      await task(i);
      latencies[i] = performance.now() - t0;
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, n) }, worker));
  return { latencies, elapsed: (performance.now() - started) / 1000 };
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function waitFor(what, check, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const slug = 'votes-' + process.pid;
const room = await must('POST', '/api/v1/rooms', null, { name: slug, lifetime: '2h' }, 201);
const owner = room.owner_token;
const question = await must('POST', `/api/v1/rooms/${slug}/messages`, null, { nickname: 'Host', body: 'Which topic should we do next?' }, 201);
const poll = await must('POST', `/api/v1/rooms/${slug}/polls`, owner, { question: 'Next topic?', options: ['Optics', 'Waves', 'Heat', 'Sound'] }, 201);

const tokens = new Array(N);
const joined = await paced(N, 0, async (i) => {
  tokens[i] = (await must('POST', `/api/v1/rooms/${slug}/join`, null, {}, 200)).token;
});

const pace = WINDOW_MS / N * 0.9; // finish inside the window with room to spare
const result = { participants: N, window_s: WINDOW_MS / 1000, joins_s: Number(joined.elapsed.toFixed(2)) };

// Upvotes on the one question.
let cpu0 = cpuSeconds(pidArg);
const votes = await paced(N, pace, async (i) => {
  await must('POST', `/api/v1/rooms/${slug}/messages/${question.id}/vote`, tokens[i], null, 200);
});
let cpu1 = cpuSeconds(pidArg);
const counted = await waitFor('message.updated with every vote', async () => {
  const events = await must('GET', `/api/v1/rooms/${slug}/events?limit=1000`, null, null, 200);
  const updates = events.events.filter((e) => e.event === 'message.updated');
  return updates.length && updates.at(-1).data.votes === N ? updates : null;
});
const stored = (await must('GET', `/api/v1/rooms/${slug}/messages`, null, null, 200)).messages[0].votes;
result.upvotes = {
  sent: N,
  stored,
  elapsed_s: Number(votes.elapsed.toFixed(2)),
  cms_cpu_us_per_vote: Math.round(((cpu1 - cpu0) / N) * 1e6),
  p50_ms: Number(percentile(votes.latencies, 50).toFixed(1)),
  p99_ms: Number(percentile(votes.latencies, 99).toFixed(1)),
  message_updated_events: counted.length,
};

// Poll ballots: participant i picks option i mod 4.
const options = poll.options.map((o) => o.id);
cpu0 = cpuSeconds(pidArg);
const ballots = await paced(N, pace, async (i) => {
  await must('POST', `/api/v1/rooms/${slug}/polls/${poll.id}/votes`, tokens[i], { options: [options[i % options.length]] }, 200);
});
cpu1 = cpuSeconds(pidArg);
const pollEvents = await waitFor('poll.updated with every ballot', async () => {
  const events = await must('GET', `/api/v1/rooms/${slug}/events?limit=1000`, null, null, 200);
  const updates = events.events.filter((e) => e.event === 'poll.updated');
  return updates.length && updates.at(-1).data.voters === N ? updates : null;
});
const final = (await must('GET', `/api/v1/rooms/${slug}/polls`, null, null, 200)).polls[0];
result.ballots = {
  sent: N,
  voters: final.voters,
  option_votes: final.options.map((o) => o.votes),
  elapsed_s: Number(ballots.elapsed.toFixed(2)),
  cms_cpu_us_per_ballot: Math.round(((cpu1 - cpu0) / N) * 1e6),
  p50_ms: Number(percentile(ballots.latencies, 50).toFixed(1)),
  p99_ms: Number(percentile(ballots.latencies, 99).toFixed(1)),
  poll_updated_events: pollEvents.length,
};
result.ok = stored === N && final.voters === N && final.options.reduce((a, o) => a + o.votes, 0) === N
  && votes.elapsed * 1000 <= WINDOW_MS && ballots.elapsed * 1000 <= WINDOW_MS;
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
