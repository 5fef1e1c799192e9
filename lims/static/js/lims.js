// Small behaviours shared by every page. No inline scripts: the CSP allows 'self' only.
window.LIMS = {
  csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  async postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": LIMS.csrf(), Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    return { status: response.status, data };
  },
  // Several messages in one line, each but the last without its own closing stop (lims.formatting.join_sentences):
  // "“abc”不是数字；缺少读数。", never "。；".
  joinSentences(messages) {
    const items = messages.map((m) => String(m || "").trim()).filter(Boolean);
    return items.map((m, i) => (i < items.length - 1 ? m.replace(/[。．.;；!！]+$/u, "") : m)).join("；");
  },
  debounce(fn, ms) {
    let t;
    return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
  },
};

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    if (el.tagName === "TABLE") return;
    el.addEventListener("click", (ev) => {
      if (!window.confirm(el.dataset.confirm)) ev.preventDefault();
    });
  });
  document.querySelectorAll("[data-select-all]").forEach((box) => {
    box.addEventListener("change", () => {
      document.querySelectorAll(`input[name="${box.dataset.selectAll}"]`).forEach((c) => { c.checked = box.checked; });
    });
  });
  // Live countdowns ("剩 2 小时 41 分").
  const countdowns = document.querySelectorAll(".countdown[data-deadline]");
  if (countdowns.length) {
    const tick = () => {
      const now = Date.now();
      countdowns.forEach((el) => {
        const left = Date.parse(el.dataset.deadline) - now;
        let badge = el.querySelector(".remaining");
        if (!badge) { badge = document.createElement("span"); badge.className = "remaining ms-1"; el.appendChild(badge); }
        if (left <= 0) { badge.textContent = `(${el.dataset.expired})`; el.classList.add("text-danger"); return; }
        const h = Math.floor(left / 3600000), m = Math.floor((left % 3600000) / 60000);
        const text = (h ? el.dataset.leftHours : el.dataset.leftMinutes).replace("{h}", h).replace("{m}", m);
        badge.textContent = `(${text})`;
      });
    };
    tick();
    setInterval(tick, 30000);
  }
});

document.addEventListener("change", (ev) => {
  if (ev.target.matches("select[data-autosubmit]")) ev.target.form.requestSubmit();
});

document.addEventListener("click", (ev) => {
  if (ev.target.matches("[data-print]")) window.print();
});

// The user form: only the binding the chosen role works by is shown (sites, organisations or
// stations); which is which comes from the server (data-binding on the role select).
document.addEventListener("DOMContentLoaded", () => {
  const role = document.querySelector("select[data-binding]");
  if (!role) return;
  const binding = JSON.parse(role.dataset.binding);
  const sync = () => {
    for (const id of ["sites", "orgs", "stations"]) {
      const field = document.getElementById(id);
      if (field) field.closest(".mb-3").hidden = binding[role.value] !== id;
    }
  };
  role.addEventListener("change", sync);
  sync();
});

// A report's jurisdiction and market (macros/report_scope.html): only the markets of the node
// chosen are offered; a market left outside it falls back to "all its markets". The server
// refuses a market outside the node all the same.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-report-node]").forEach((node) => {
    const market = node.form && node.form.querySelector("select[data-report-market]");
    if (!market) return;
    const sync = () => {
      const path = node.selectedOptions[0] ? node.selectedOptions[0].dataset.path || "" : "";
      for (const option of market.options) {
        if (!option.value) continue;
        const inside = (option.dataset.path || "").startsWith(path);
        option.hidden = !inside;
        option.disabled = !inside;
        if (!inside && option.selected) market.value = "";
      }
      for (const group of market.querySelectorAll("optgroup")) {
        group.hidden = ![...group.children].some((option) => !option.hidden);
      }
    };
    node.addEventListener("change", sync);
    sync();
  });
});
