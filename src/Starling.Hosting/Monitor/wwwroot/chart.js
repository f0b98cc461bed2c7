// A minimal line chart on <canvas>: a rolling window of points, one or more series, a y axis from zero to a
// rounded maximum. Drawn by hand so the monitor needs no library and nothing from the network.

export class LineChart {
  /**
   * @param canvas the <canvas> to draw on (sized by CSS; the drawing buffer follows it and the pixel ratio)
   * @param series [{ label, color, dash }] where color names a CSS custom property such as '--series-1' and
   *        dash is an optional line dash (so equal series stay both visible); the legend is the page's
   * @param format formats a y value for the axis labels
   * @param capacity how many points are kept (one per second from the stats stream: two minutes)
   * @param floor the smallest top of the y axis, so an idle chart has a sensible scale
   */
  constructor(canvas, series, { format = String, capacity = 120, floor = 1 } = {}) {
    this.floor = floor;
    this.canvas = canvas;
    this.series = series;
    this.format = format;
    this.capacity = capacity;
    this.times = [];
    this.values = series.map(() => []);
    this.pending = false;
    // Redraw when the layout changes the canvas size (window resize, view shown again).
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  push(time, values) {
    this.times.push(time);
    values.forEach((v, i) => this.values[i].push(Number.isFinite(v) ? v : 0));
    if (this.times.length > this.capacity) {
      this.times.shift();
      for (const s of this.values) s.shift();
    }
    // Coalesce redraws into the next frame; hidden tabs get none until they are shown.
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.draw();
      });
    }
  }

  draw() {
    const canvas = this.canvas;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (!width || !height) return; // not displayed
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);

    const style = getComputedStyle(canvas);
    const muted = style.getPropertyValue('--muted').trim() || '#888';
    const grid = style.getPropertyValue('--grid').trim() || '#ccc';
    ctx.font = `11px ${style.fontFamily}`;

    const max = niceMax(Math.max(this.floor, ...this.values.flat()));
    const labels = [0, 0.5, 1].map((f) => this.format(max * f));
    const labelWidth = Math.max(...labels.map((l) => ctx.measureText(l).width)) + 8;
    const left = labelWidth;
    const top = 6;
    const bottom = height - 16;
    const right = width - 4;

    // Horizontal grid lines at 0, 1/2 and the maximum, labelled.
    ctx.strokeStyle = grid;
    ctx.fillStyle = muted;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    [0, 0.5, 1].forEach((f, i) => {
      const y = Math.round(bottom - f * (bottom - top)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.fillText(labels[i], left - 4, y);
    });
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText(`last ${Math.round(this.capacity / 60)} min`, left, height - 3);

    // The x axis is the slot in the window (one per point), newest at the right edge.
    const step = (right - left) / Math.max(1, this.capacity - 1);
    const offset = this.capacity - this.times.length;
    this.series.forEach((s, i) => {
      const values = this.values[i];
      if (!values.length) return;
      ctx.strokeStyle = style.getPropertyValue(s.color).trim() || '#36c';
      ctx.lineWidth = 1.5;
      ctx.lineJoin = 'round';
      ctx.setLineDash(s.dash ?? []);
      ctx.beginPath();
      values.forEach((v, j) => {
        const x = left + (offset + j) * step;
        const y = bottom - (max ? v / max : 0) * (bottom - top);
        if (j === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      });
      ctx.stroke();
    });
    ctx.setLineDash([]);
  }
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is at least v (1 when v is 0). */
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}
