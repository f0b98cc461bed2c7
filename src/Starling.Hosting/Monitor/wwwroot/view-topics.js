// Topics: the topic-tree explorer. Each level is fetched when it is opened (GET api/v1/topics?path=...), and
// the open levels are fetched again every 1.5 s while the view is shown; the broker only fills the tree while
// someone watches it. Rows are kept by path and updated in place, so polling keeps expansion, selection and
// scroll position. Selecting a topic shows its last payload as text, pretty-printed JSON or hex.

import { get, withQuery } from './api.js';
import { bytes, clock, count, el } from './format.js';

const POLL_MS = 1500;

const tree = document.getElementById('topic-tree');
const empty = document.getElementById('topics-empty');
const nodes = new Map(); // path -> { data, li, row, children (the <ul>, or null until opened) }
const expanded = new Set(); // paths the user opened (kept while a level is briefly empty)
let selected = null; // path of the selected topic
let mode = null; // 'text' | 'json' | 'hex', or null: chosen from the payload's format
let visible = false;
let timer = null;
let polling = false;

/** Whether there are topics below a node: the broker says so in hasChildren; failing that, a node that
 *  counts more topics than itself has some. */
function hasChildren(d) {
  return typeof d.hasChildren === 'boolean' ? d.hasChildren : (d.topics ?? 0) > (d.last ? 1 : 0);
}

function retainedLabel(r) {
  if (!r) return null;
  return typeof r === 'number' && r > 1 ? `retained ${r}` : 'retained';
}

function buildRow(path) {
  const node = nodes.get(path);
  const row = el('div', {
    className: 'tree-row',
    role: 'treeitem',
    tabIndex: 0,
    dataset: { testid: `topic-${path}` },
    onclick: () => activate(path),
    onkeydown: (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        activate(path);
      }
    },
  });
  node.row = row;
  return row;
}

function renderRow(node) {
  const d = node.data;
  const open = expanded.has(d.path);
  const parts = [
    el('span', { className: 'twisty' }, hasChildren(d) ? (open ? '▾' : '▸') : ''),
    el('span', { className: 'name' }, d.name === '' ? '(empty)' : d.name),
    retainedLabel(d.retained) && el('span', { className: 'badge', title: 'has a retained message', dataset: { testid: 'retained-marker' } }, retainedLabel(d.retained)),
    hasChildren(d) && el('span', { className: 'muted small' }, ` ${count(d.topics)} topics`),
    el('span', { className: 'num' }, count(d.messages)),
    el('span', { className: 'num' }, (d.messagesPerSecond ?? 0).toFixed(1)),
  ];
  node.row.replaceChildren(...parts.filter(Boolean));
  node.row.classList.toggle('selected', d.path === selected);
  node.row.setAttribute('aria-expanded', hasChildren(d) ? String(open) : '');
}

/** Puts `children` (one level's answer) into `ul`, reusing the rows already there. */
function renderLevel(ul, children) {
  const sorted = [...children].sort((a, b) => a.name.localeCompare(b.name));
  const keep = new Set(sorted.map((c) => c.path));
  for (const li of [...ul.children]) {
    if (!keep.has(li.dataset.path)) {
      forget(li.dataset.path);
      li.remove();
    }
  }
  sorted.forEach((d, i) => {
    let node = nodes.get(d.path);
    if (!node) {
      node = { data: d, li: el('li', { dataset: { path: d.path } }), row: null, children: null };
      nodes.set(d.path, node);
      node.li.append(buildRow(d.path));
    }
    node.data = d;
    renderRow(node);
    if (ul.children[i] !== node.li) ul.insertBefore(node.li, ul.children[i] ?? null);
    if (d.path === selected) renderPayload();
  });
}

/** Drops a vanished node and everything below it from the index. */
function forget(path) {
  for (const p of [...nodes.keys()]) {
    if (p === path || p.startsWith(`${path}/`)) nodes.delete(p);
  }
}

async function loadLevel(path) {
  const answer = await get('Topics', withQuery('api/v1/topics', { path }));
  const children = answer.children ?? [];
  if (path === '') {
    renderLevel(tree, children);
    empty.hidden = children.length > 0;
    return;
  }
  const node = nodes.get(path);
  if (!node || !expanded.has(path)) return; // closed or gone while the answer was on its way
  if (!node.children) {
    node.children = el('ul', { role: 'group' });
    node.li.append(node.children);
  }
  renderLevel(node.children, children);
}

function activate(path) {
  const node = nodes.get(path);
  if (!node) return;
  if (selected !== path) {
    selected = path;
    mode = null;
    for (const n of nodes.values()) n.row?.classList.toggle('selected', n.data.path === path);
    renderPayload();
  }
  if (hasChildren(node.data)) {
    if (expanded.has(path)) {
      expanded.delete(path);
      node.children?.remove();
      node.children = null;
      forgetBelow(path);
    } else {
      expanded.add(path);
      loadLevel(path).catch(() => {});
    }
    renderRow(node);
  }
}

function forgetBelow(path) {
  for (const p of [...nodes.keys()]) {
    if (p.startsWith(`${path}/`)) nodes.delete(p);
  }
  for (const p of [...expanded]) {
    if (p.startsWith(`${path}/`)) expanded.delete(p);
  }
}

/** Fetches the root and every open level (parents before children), then schedules the next round. */
async function poll() {
  if (polling) return;
  polling = true;
  clearTimeout(timer);
  try {
    await loadLevel('');
    const open = [...expanded].sort((a, b) => a.split('/').length - b.split('/').length);
    for (const path of open) {
      if (nodes.has(path)) await loadLevel(path);
    }
  } catch {
    // the banner says why; keep polling so the view recovers by itself
  } finally {
    polling = false;
  }
  if (visible) timer = setTimeout(poll, POLL_MS);
}

// ---- the payload panel ------------------------------------------------------------------------------------

const payloadTopic = document.getElementById('payload-topic');
const payloadMeta = document.getElementById('payload-meta');
const payloadBody = document.getElementById('payload-body');
const formatButtons = [...document.querySelectorAll('.segmented [data-format]')];

for (const b of formatButtons) {
  b.addEventListener('click', () => {
    mode = b.dataset.format;
    renderPayload();
  });
}

/** The preview's bytes: hex digits for a binary payload (as the API sends it), else UTF-8 text. */
function previewBytes(last) {
  if (last.format === 'binary') {
    const hex = (last.preview ?? '').replace(/[^0-9a-fA-F]/g, '');
    const out = new Uint8Array(hex.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }
  return new TextEncoder().encode(last.preview ?? '');
}

function hexDump(data) {
  const lines = [];
  for (let off = 0; off < data.length; off += 16) {
    const chunk = data.subarray(off, off + 16);
    const hex = [...chunk].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...chunk].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** Sets text only when it changed, so a poll does not undo the user's text selection. */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function renderPayload() {
  const node = selected === null ? null : nodes.get(selected);
  setText(payloadTopic, selected ?? 'Select a topic');
  const last = node?.data.last;
  if (!last) {
    setText(payloadMeta, '');
    setText(payloadBody, selected === null ? '' : 'No message on this topic since the explorer started watching.');
    for (const b of formatButtons) b.classList.remove('active');
    return;
  }
  const shown = mode ?? (last.format === 'json' ? 'json' : last.format === 'binary' ? 'hex' : 'text');
  for (const b of formatButtons) b.classList.toggle('active', b.dataset.format === shown);
  const data = previewBytes(last);
  const truncated = last.size > data.length ? `, first ${bytes(data.length)} shown` : '';
  setText(payloadMeta, `${bytes(last.size)}${truncated} · QoS ${last.qos}${last.retain ? ' · retained' : ''} · ${last.format} · ${clock(last.time)}`);
  if (shown === 'hex') {
    setText(payloadBody, hexDump(data));
  } else {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(data);
    if (shown === 'json') {
      try {
        setText(payloadBody, JSON.stringify(JSON.parse(text), null, 2));
      } catch (e) {
        setText(payloadBody, `(not valid JSON${truncated ? ', perhaps cut short' : ''}: ${e.message})\n\n${text}`);
      }
    } else {
      setText(payloadBody, text);
    }
  }
}

export const topics = {
  show() {
    visible = true;
    poll();
  },
  hide() {
    visible = false;
    clearTimeout(timer);
  },
  reload() {
    if (visible) poll();
  },
};
