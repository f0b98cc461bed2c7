// The Clients, Subscriptions and Retained views: paginated tables over the API's lists, with a Kick button per
// client and a Delete button per retained message. Clients and subscriptions change by themselves, so those
// tables reload every few seconds while shown.

import { ApiError, del, topicPath } from './api.js';
import { bytes, count, dateTime, el } from './format.js';
import { PagedTable } from './table.js';

const yesNo = (b) => (b ? 'yes' : 'no');

/** A button that runs an API call once (disabled meanwhile), then reloads the table. A 404 means someone else
 *  got there first: the reload shows that, so it is not an error. */
function actionButton(label, testid, table, action) {
  const button = el('button', {
    type: 'button',
    className: 'danger',
    dataset: { testid },
    onclick: async () => {
      button.disabled = true;
      try {
        await action();
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
      }
      table.load();
    },
  }, label);
  return button;
}

export const clients = new PagedTable({
  source: 'Clients',
  path: 'api/v1/clients',
  prefix: 'clients',
  columns: 11,
  refreshMs: 3000,
  row(c) {
    return el('tr', { dataset: { testid: `client-${c.clientId}` } },
      el('td', { className: 'mono' }, c.clientId),
      el('td', {}, c.username ?? ''),
      el('td', {}, c.protocolVersion ?? ''),
      el('td', { className: 'mono' }, c.address ?? ''),
      el('td', {}, c.listener ?? ''),
      el('td', { className: 'num' }, c.keepAliveSeconds === undefined ? '–' : `${c.keepAliveSeconds} s`),
      el('td', { className: 'num' }, count(c.inflight)),
      el('td', { className: 'num' }, count(c.queued)),
      el('td', { className: 'num' }, count(c.subscriptions)),
      el('td', {}, dateTime(c.connectedAt)),
      // No confirm dialog: the client may reconnect at once anyway, and a modal would block the page's updates.
      el('td', {}, actionButton('Kick', `kick-${c.clientId}`, clients,
        () => del('Kick', `api/v1/clients/${encodeURIComponent(c.clientId)}`))),
    );
  },
});

const subscriptionClient = document.getElementById('subscriptions-client');

export const subscriptions = new PagedTable({
  source: 'Subscriptions',
  path: 'api/v1/subscriptions',
  prefix: 'subscriptions',
  columns: 7,
  refreshMs: 5000,
  inputs: [subscriptionClient],
  params: () => ({ clientId: subscriptionClient.value.trim() }),
  row(s) {
    return el('tr', { dataset: { testid: `subscription-${s.clientId}-${s.filter}` } },
      el('td', { className: 'mono' }, s.clientId),
      el('td', { className: 'mono' }, s.filter),
      el('td', { className: 'num' }, s.qos),
      el('td', {}, yesNo(s.noLocal)),
      el('td', {}, yesNo(s.retainAsPublished)),
      el('td', { className: 'num' }, s.retainHandling ?? 0),
      el('td', { className: 'num' }, s.subscriptionId || ''), // 0: none
    );
  },
});

export const retained = new PagedTable({
  source: 'Retained',
  path: 'api/v1/retained',
  prefix: 'retained',
  columns: 5,
  row(r) {
    return el('tr', { dataset: { testid: `retained-${r.topic}` } },
      el('td', { className: 'mono' }, r.topic),
      el('td', { className: 'num' }, bytes(r.size)),
      el('td', { className: 'num' }, r.qos),
      el('td', { className: 'mono preview', title: r.preview ?? '' }, r.preview ?? ''),
      el('td', {}, actionButton('Delete', `delete-retained-${r.topic}`, retained,
        () => del('Delete retained', `api/v1/retained/${topicPath(r.topic)}`))),
    );
  },
});
