// The monitor's entry point: the view router (location.hash picks the view) and wiring of the shared parts.
// Each view module exposes show() / hide() (start and stop its polling) and reload() (new credentials).

import { checkAccess, initBanner, onCredentialsChange } from './api.js';
import { clients, retained, subscriptions } from './view-lists.js';
import { overview } from './view-overview.js';
import { topics } from './view-topics.js';
import { trace } from './view-trace.js';

const views = { overview, clients, topics, subscriptions, retained, trace };
let current = null;

function route() {
  const name = location.hash.slice(1);
  if (!(name in views)) {
    location.replace('#overview');
    return;
  }
  if (name === current) return;
  if (current) {
    views[current].hide();
    document.getElementById(`view-${current}`).hidden = true;
  }
  current = name;
  document.getElementById(`view-${name}`).hidden = false;
  for (const a of document.querySelectorAll('nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#${name}`);
    if (a.classList.contains('active')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  views[name].show();
}

initBanner();
onCredentialsChange(() => {
  for (const v of Object.values(views)) v.reload();
});
window.addEventListener('hashchange', route);
route();
// Streams open after the first answer, so they know whether to wait for credentials.
checkAccess().then(() => overview.start());
