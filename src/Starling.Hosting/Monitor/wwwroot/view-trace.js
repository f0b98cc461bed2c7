// Trace: the packets of one client (in and out) or the PUBLISHes on topics matching a filter, live from
// api/v1/trace/stream, newest first. Packets can arrive far faster than anyone reads, so they are added once a
// frame and the table keeps the newest 500 rows.

import { openStream, withQuery } from './api.js';
import { bytes, clock, count, el } from './format.js';

const MAX_ROWS = 500;

const form = document.getElementById('trace-form');
const modeSelect = document.getElementById('trace-mode');
const valueInput = document.getElementById('trace-value');
const startButton = document.getElementById('trace-start');
const stopButton = document.getElementById('trace-stop');
const status = document.getElementById('trace-status');
const rows = document.getElementById('trace-rows');

let stream = null;
let what = null; // { mode, value } of the running trace
let received = 0;
let queue = [];
let frame = 0;

function row(p) {
  return el('tr', { className: p.direction === 'out' ? 'out' : 'in' },
    el('td', { className: 'mono' }, clock(p.time)),
    el('td', {}, p.direction === 'out' ? '→ out' : '← in'),
    el('td', { className: 'mono' }, p.clientId ?? ''),
    el('td', {}, p.type ?? ''),
    el('td', { className: 'mono' }, p.topic ?? ''),
    el('td', { className: 'num' }, p.qos ?? ''),
    el('td', { className: 'num' }, bytes(p.size)),
    el('td', { className: 'mono preview', title: p.preview ?? '' }, p.preview ?? ''),
  );
}

function flush() {
  frame = 0;
  // Only the newest MAX_ROWS of the batch can survive, so build no more than that.
  const batch = queue.slice(-MAX_ROWS);
  queue = [];
  const fragment = document.createDocumentFragment();
  for (let i = batch.length - 1; i >= 0; i--) fragment.append(row(batch[i]));
  rows.prepend(fragment);
  while (rows.children.length > MAX_ROWS) rows.lastElementChild.remove();
  renderStatus();
}

function renderStatus() {
  status.textContent = what
    ? `Tracing ${what.mode === 'clientId' ? 'client' : 'filter'} ${what.value}: ${count(received)} packets`
    : `Stopped${received ? ` (${count(received)} packets)` : ''}`;
}

function start(mode, value) {
  stop();
  what = { mode, value };
  received = 0;
  stream = openStream('Trace', withQuery('api/v1/trace/stream', { [mode]: value }), 'packet', (p) => {
    received++;
    queue.push(p);
    if (!frame) frame = requestAnimationFrame(flush);
  });
  startButton.textContent = 'Restart';
  stopButton.disabled = false;
  renderStatus();
}

function stop() {
  stream?.close();
  stream = null;
  what = null;
  startButton.textContent = 'Start';
  stopButton.disabled = true;
  renderStatus();
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const value = valueInput.value.trim();
  if (value) start(modeSelect.value, value);
});
stopButton.addEventListener('click', stop);
document.getElementById('trace-clear').addEventListener('click', () => {
  rows.replaceChildren();
  received = 0;
  renderStatus();
});

export const trace = {
  // A trace keeps running in the background: switching views to look something up should not lose packets.
  show() {},
  hide() {},
  reload() {
    if (what) start(what.mode, what.value);
  },
};
