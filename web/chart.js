// Charts drawn by the page as SVG: no library, nothing fetched. Each chart
// carries a sentence for screen readers (role="img" with aria-label) saying
// what it shows.
'use strict';
window.IotpChart = (function () {
  const NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Grouped columns over time: series = [{name, cls, values[]}], labels[] the x-axis.
  function columns(box, labels, series, label) {
    const W = 720, H = 220, L = 40, B = 24, T = 10;
    // A scale of four round steps (1, 2 or 5 times a power of ten).
    const top = Math.max(1, ...series.flatMap((s) => s.values)) / 4;
    const p10 = 10 ** Math.floor(Math.log10(top));
    const max = 4 * p10 * ([1, 2, 5, 10].find((m) => m * p10 >= top));
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
    const plotW = W - L - 8, plotH = H - B - T;
    for (let g = 0; g <= 4; g++) {
      const y = T + plotH - (plotH * g) / 4;
      svg.append(el('line', { x1: L, x2: W - 8, y1: y, y2: y, class: 'grid' }));
      svg.append(el('text', { x: L - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String(Math.round((max * g) / 4))));
    }
    const n = labels.length, slot = plotW / Math.max(1, n), bw = Math.max(1, (slot * 0.8) / series.length);
    labels.forEach((lab, i) => {
      series.forEach((s, k) => {
        const v = s.values[i] || 0, h = (plotH * v) / max;
        const r = el('rect', { x: L + i * slot + slot * 0.1 + k * bw, y: T + plotH - h, width: bw, height: h, class: s.cls });
        r.append(el('title', {}, `${lab}: ${v} ${s.name}`));
        svg.append(r);
      });
      if (n <= 16 || i % Math.ceil(n / 12) === 0)
        svg.append(el('text', { x: L + i * slot + slot / 2, y: H - 6, class: 'axis', 'text-anchor': 'middle' }, lab));
    });
    box.replaceChildren(svg);
  }

  // Horizontal bars: rows = [{label, value, text}], drawn against fixedMax (1 for
  // a ratio) or the largest value.
  function bars(box, rows, label, empty, fixedMax) {
    if (!rows.length) {
      const p = document.createElement('p');
      p.className = 'empty';
      p.textContent = empty;
      box.replaceChildren(p);
      return;
    }
    const W = 360, R = 26, H = rows.length * R + 4;
    const max = fixedMax || Math.max(...rows.map((r) => r.value), 1e-9);
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label });
    rows.forEach((r, i) => {
      const y = i * R + 2;
      svg.append(el('text', { x: 0, y: y + 16, class: 'label' }, r.label));
      svg.append(el('rect', { x: 120, y: y + 4, width: 170, height: 16, class: 'track' }));
      const bar = el('rect', { x: 120, y: y + 4, width: (170 * r.value) / max, height: 16, class: r.cls || 'bar' });
      bar.append(el('title', {}, `${r.label}: ${r.text}`));
      svg.append(bar);
      svg.append(el('text', { x: 296, y: y + 16, class: 'value' }, r.text));
    });
    box.replaceChildren(svg);
  }

  return { columns, bars };
})();
