// The result entry grid of a round: one row per batch and test. The outcome shows as the
// reading is typed (green 阴性, red 阳性, amber 可疑/无效 with the reason); Tab moves between
// a row's cells, Enter saves the row and moves to the next; a positive asks "确认阳性?"
// first and then says what happens next.
(() => {
  const table = document.getElementById("result-grid");
  if (!table) return;
  const colours = { negative: "success", positive: "danger", suspect: "warning", invalid: "warning" };
  const next = document.getElementById("next-steps");

  const inputs = (row) => [...row.querySelectorAll("input:not([disabled]), select:not([disabled])")];
  const payload = (row) => {
    const d = { batch: row.dataset.batch, item: row.dataset.item };
    inputs(row).forEach((el) => { if (el.value) d[el.name] = el.value; });
    return d;
  };
  const show = (row, data) => {
    const live = row.querySelector(".live");
    live.textContent = "";
    if (data.outcome) {
      const badge = document.createElement("span");
      badge.className = `badge text-bg-${colours[data.outcome]} me-1`;
      badge.textContent = data.label;
      live.appendChild(badge);
      const reason = document.createElement("small");
      reason.textContent = data.reason || "";
      live.appendChild(reason);
    }
    const problems = Object.values(data.errors || {}).flat().concat(Object.values(data.warnings || {}).flat());
    if (problems.length) {
      const p = document.createElement("div");
      p.className = "small text-danger";
      p.textContent = problems.join("；");
      live.appendChild(p);
    }
    row.classList.toggle("table-danger", data.outcome === "positive");
    row.classList.toggle("table-warning", data.outcome === "suspect" || data.outcome === "invalid");
  };
  const assess = LIMS.debounce(async (row) => {
    const d = payload(row);
    if (!d.value && !d.control_delta && !d.c_line) { row.querySelector(".live").textContent = ""; return; }
    const { data } = await LIMS.postJSON(table.dataset.assessUrl, d);
    show(row, data);
  }, 200);

  async function save(row, confirmed) {
    const d = payload(row);
    if (!d.value && !d.control_delta && !d.c_line) return false;
    if (confirmed) d.confirm_positive = true;
    const { status, data } = await LIMS.postJSON(table.dataset.saveUrl, d);
    if (status === 409 && data.needs_confirmation) {
      if (window.confirm(table.dataset.confirm)) return save(row, true);
      return false;
    }
    if (!data.ok) { show(row, data); return false; }
    show(row, data);
    row.classList.add("done");
    inputs(row).forEach((el) => { el.disabled = true; });
    if (data.next) {
      next.classList.remove("d-none", "alert-danger", "alert-warning");
      next.classList.add(data.outcome === "positive" ? "alert-danger" : "alert-warning");
      next.textContent = `${row.dataset.batch}: ${data.next}`;
      if (data.batch_url) {
        const a = document.createElement("a");
        a.href = data.batch_url; a.className = "ms-2 alert-link"; a.textContent = "→";
        next.appendChild(a);
      }
    }
    return true;
  }

  table.addEventListener("input", (ev) => { const row = ev.target.closest("tr"); if (row) assess(row); });
  table.addEventListener("change", (ev) => { const row = ev.target.closest("tr"); if (row) assess(row); });
  table.addEventListener("keydown", async (ev) => {
    const el = ev.target;
    const row = el.closest("tr");
    if (!row || !(el.matches("input, select"))) return;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (el.tagName === "SELECT") return;
      ev.preventDefault();
      const rows = [...table.querySelectorAll("tbody tr")].filter((r) => inputs(r).length);
      const target = rows[rows.indexOf(row) + (ev.key === "ArrowDown" ? 1 : -1)];
      if (target) { const same = target.querySelector(`[name="${el.name}"]`); (same || inputs(target)[0]).focus(); }
      return;
    }
    if (ev.key !== "Enter") return;
    // Enter saves the row (Tab moves between its cells) and goes on to the next row.
    ev.preventDefault();
    if (await save(row)) {
      const rows = [...table.querySelectorAll("tbody tr")].filter((r) => inputs(r).length);
      const target = rows.find((r) => row.compareDocumentPosition(r) & Node.DOCUMENT_POSITION_FOLLOWING) || rows[0];
      if (target) inputs(target)[0].focus();
    }
  });
  const first = table.querySelector("tbody tr input:not([disabled])");
  if (first) first.focus();
})();
