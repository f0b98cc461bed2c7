// Overview: the broker's totals (GET api/v1/broker, every few seconds while shown) and live charts fed by the
// stats stream (one `stats` event a second). The stream stays open while the page is, so the charts have
// history when the user comes back to this view.

import { get, openStream } from './api.js';
import { LineChart } from './chart.js';
import { bytes, count, duration, el, percent, rate } from './format.js';

const BROKER_REFRESH_MS = 5000;

let charts = null;
let stream = null;
let timer = null;
let visible = false;

function makeCharts() {
  const $ = (id) => document.getElementById(id);
  return {
    messages: new LineChart($('chart-messages'), [
      { label: 'in', color: '--series-1' },
      { label: 'out', color: '--series-2', dash: [5, 3] },
    ], { format: (v) => compact(v) }),
    connections: new LineChart($('chart-connections'), [{ label: 'connections', color: '--series-1' }], { format: (v) => compact(v) }),
    memory: new LineChart($('chart-memory'), [{ label: 'memory', color: '--series-3' }], { format: (v) => bytes(Math.round(v)), floor: 1024 * 1024 }),
    cpu: new LineChart($('chart-cpu'), [{ label: 'cpu', color: '--series-4' }], { format: (v) => `${+v.toFixed(1)} %` }),
  };
}

function compact(v) {
  if (v >= 1e6) return `${+(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
  return `${+v.toFixed(1)}`;
}

function onStats(s) {
  charts ??= makeCharts();
  const t = Date.parse(s.time) || Date.now();
  charts.messages.push(t, [s.messagesReceivedPerSecond, s.messagesSentPerSecond]);
  charts.connections.push(t, [s.connections]);
  charts.memory.push(t, [s.memoryBytes]);
  charts.cpu.push(t, [s.cpuPercent]);
  document.getElementById('rate-received').textContent = rate(s.messagesReceivedPerSecond);
  document.getElementById('rate-sent').textContent = rate(s.messagesSentPerSecond);
  document.getElementById('now-connections').textContent = count(s.connections);
  document.getElementById('now-memory').textContent = bytes(s.memoryBytes);
  document.getElementById('now-cpu').textContent = percent(s.cpuPercent);
}

function card(label, value, testid) {
  return el('div', { className: 'card', dataset: { testid: `card-${testid}` } },
    el('div', { className: 'card-label' }, label),
    el('div', { className: 'card-value' }, value));
}

async function loadBroker() {
  clearTimeout(timer);
  try {
    const b = await get('Broker', 'api/v1/broker');
    document.getElementById('broker-cards').replaceChildren(
      card('Version', b.version ?? '–', 'version'),
      card('Uptime', duration(b.uptimeSeconds), 'uptime'),
      card('Connections', count(b.connections), 'connections'),
      card('Sessions online / offline', `${count(b.sessionsOnline)} / ${count(b.sessionsOffline)}`, 'sessions'),
      card('Subscriptions', count(b.subscriptions), 'subscriptions'),
      card('Retained', count(b.retained), 'retained'),
      card('Messages in / out', `${count(b.messagesReceived)} / ${count(b.messagesSent)}`, 'messages'),
      card('Bytes in / out', `${bytes(b.bytesReceived)} / ${bytes(b.bytesSent)}`, 'bytes'),
      card('Dropped', count(b.dropped), 'dropped'),
      card('Memory', bytes(b.memoryBytes), 'memory'),
      card('CPU', percent(b.cpuPercent), 'cpu'),
    );
  } catch {
    // reported in the banner by get(); try again on the next tick
  }
  if (visible) timer = setTimeout(loadBroker, BROKER_REFRESH_MS);
}

function openStats() {
  stream?.close();
  stream = openStream('Statistics stream', 'api/v1/stats/stream', 'stats', onStats);
}

export const overview = {
  start() {
    openStats();
  },
  show() {
    visible = true;
    charts ??= makeCharts();
    loadBroker();
    for (const c of Object.values(charts)) c.draw();
  },
  hide() {
    visible = false;
    clearTimeout(timer);
  },
  /** New credentials: reopen the stream with them, and reload the totals when shown. */
  reload() {
    if (stream) openStats();
    if (visible) loadBroker();
  },
};
