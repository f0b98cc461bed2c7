// A paginated, searchable table over one of the API's lists ({ items, total, page, pageSize }): the Clients,
// Subscriptions and Retained views are each one of these with their own columns.

import { get, withQuery } from './api.js';
import { count, debounce, el } from './format.js';

const PAGE_SIZE = 50;

export class PagedTable {
  /**
   * @param o.source   name of the view, for the error banner
   * @param o.path     the list's URL (relative)
   * @param o.prefix   ids of the elements: `${prefix}-search`, `-rows`, `-total`, `-pager`
   * @param o.columns  number of columns (for the "nothing here" row)
   * @param o.row      item => <tr>
   * @param o.params   () => extra query parameters (filters besides the search box)
   * @param o.refreshMs  reload period while shown (0: only on demand)
   * @param o.inputs   more inputs whose changes reload from page 1
   */
  constructor(o) {
    Object.assign(this, { params: () => ({}), refreshMs: 0, inputs: [] }, o);
    this.page = 1;
    this.visible = false;
    this.timer = null;
    this.generation = 0;
    this.search = document.getElementById(`${o.prefix}-search`);
    this.rows = document.getElementById(`${o.prefix}-rows`);
    this.total = document.getElementById(`${o.prefix}-total`);
    this.pager = document.getElementById(`${o.prefix}-pager`);
    const changed = debounce(() => {
      this.page = 1;
      this.load();
    });
    for (const input of [this.search, ...this.inputs]) input.addEventListener('input', changed);
  }

  async load() {
    clearTimeout(this.timer);
    // Answers can arrive out of order (a slow search, then a fast one): only the latest request renders.
    const generation = ++this.generation;
    try {
      const url = withQuery(this.path, { search: this.search.value.trim(), page: this.page, pageSize: PAGE_SIZE, ...this.params() });
      const list = await get(this.source, url);
      if (generation !== this.generation) return;
      const items = list.items ?? [];
      // A deletion can leave us past the last page: step back rather than show an empty one.
      if (!items.length && this.page > 1 && list.total > 0) {
        this.page = Math.max(1, Math.ceil(list.total / (list.pageSize || PAGE_SIZE)));
        return this.load();
      }
      this.rows.replaceChildren(...(items.length ? items.map((item) => this.row(item)) : [
        el('tr', { className: 'empty' }, el('td', { colSpan: this.columns }, this.search.value ? 'Nothing matches.' : 'Nothing here.')),
      ]));
      this.renderPager(list);
    } catch {
      // the banner says why
    }
    if (this.visible && this.refreshMs && generation === this.generation) {
      this.timer = setTimeout(() => this.load(), this.refreshMs);
    }
  }

  renderPager(list) {
    const size = list.pageSize || PAGE_SIZE;
    const pages = Math.max(1, Math.ceil((list.total ?? 0) / size));
    this.total.textContent = `${count(list.total)} in all`;
    const go = (p) => () => {
      this.page = p;
      this.load();
    };
    this.pager.replaceChildren(
      el('button', { type: 'button', disabled: this.page <= 1, onclick: go(this.page - 1) }, '‹ Previous'),
      el('span', {}, `page ${this.page} of ${pages}`),
      el('button', { type: 'button', disabled: this.page >= pages, onclick: go(this.page + 1) }, 'Next ›'),
    );
  }

  show() {
    this.visible = true;
    this.load();
  }

  hide() {
    this.visible = false;
    clearTimeout(this.timer);
  }

  reload() {
    if (this.visible) this.load();
  }
}
