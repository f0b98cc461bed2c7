// Small formatting helpers shared by the views: numbers, sizes, durations, times, and building DOM nodes.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function count(n) {
  return n === undefined || n === null ? '–' : integer.format(n);
}

export function rate(n) {
  return `${(n ?? 0).toFixed(1)} msg/s`;
}

export function bytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

export function percent(n) {
  return n === undefined || n === null ? '–' : `${n.toFixed(1)} %`;
}

export function duration(seconds) {
  if (seconds === undefined || seconds === null) return '–';
  let s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** Local wall-clock time with milliseconds, for the trace. */
export function clock(iso) {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return String(iso ?? '');
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(t.getHours())}:${p(t.getMinutes())}:${p(t.getSeconds())}.${p(t.getMilliseconds(), 3)}`;
}

export function dateTime(iso) {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '–' : t.toLocaleString();
}

/** el('td', { className: 'num', dataset: { testid: 'x' } }, 'text', otherNode): text goes in as text, never as HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node[k] = v;
  }
  for (const c of children) {
    if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c));
  }
  return node;
}

/** Calls fn at most once per `ms` of quiet, for search boxes. */
export function debounce(fn, ms = 250) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}
