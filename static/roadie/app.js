// Live countdowns and small conveniences; htmx does the rest.
document.addEventListener("htmx:configRequest", (event) => {
  const token = document.querySelector('meta[name="csrf-token"]');
  if (token) event.detail.headers["X-CSRFToken"] = token.content;
});

// sla countdowns: badges rendered by the server carry data-due (ISO) and their own translated
// words; refresh the text every 30 s. Without JavaScript the server's text stays, a little stale.
(() => {
  const format = (ms, units) => {
    const [d, h, m, soon] = units.split("|");
    let minutes = Math.floor(Math.abs(ms) / 60000);
    if (minutes < 1) return soon;
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    minutes %= 60;
    const n = (unit, value) => unit.replace("{n}", value);
    if (days) return hours ? `${n(d, days)} ${n(h, hours)}` : n(d, days);
    if (hours) return minutes ? `${n(h, hours)} ${n(m, minutes)}` : n(h, hours);
    return n(m, minutes);
  };
  const tick = () => {
    for (const badge of document.querySelectorAll(".sla[data-due]")) {
      const due = Date.parse(badge.dataset.due);
      const { future, past, units } = badge.dataset;
      if (Number.isNaN(due) || !future || !past || !units) continue;
      const left = due - Date.now();
      badge.textContent = (left > 0 ? future : past).replace("{t}", format(left, units));
      // The colours reuse the status and severity badge classes of app.css.
      badge.classList.toggle("sla-running", left > 0);
      badge.classList.toggle("status-open", left > 0);
      badge.classList.toggle("sla-breached", left <= 0);
      badge.classList.toggle("sev-urgent", left <= 0);
    }
  };
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
  setInterval(tick, 30000);
})();
