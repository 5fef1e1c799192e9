// The result entry grid of a round: one row per batch and test. The outcome shows as the
// reading is typed (green 阴性, red 阳性, amber 可疑/无效 with the reason); Tab moves between
// a row's cells, Enter saves the row and moves to the next; a positive is confirmed first in
// a dialog that names the item, the reading and the cut-off (Enter confirms, Esc cancels), and
// its "notify the stall" step stays on screen until acted on.
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
      p.textContent = LIMS.joinSentences(problems);
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
      if (await confirmPositive(data)) return save(row, true);
      inputs(row)[0].focus();
      return false;
    }
    if (!data.ok) { show(row, data); return false; }
    show(row, data);
    row.classList.add("done");
    inputs(row).forEach((el) => { el.disabled = true; });
    if (data.next) announce(row.dataset.batch, data);
    return true;
  }

  // The confirmation of a positive: a modal <dialog>; resolves true only on "confirm".
  const dialog = document.getElementById("confirm-positive");
  function confirmPositive(data) {
    if (!dialog || typeof dialog.showModal !== "function") return Promise.resolve(false);
    ["batch", "item", "reason"].forEach((key) => {
      dialog.querySelector(`[data-field="${key}"]`).textContent =
        key === "batch" ? `${data.batch || ""} ${data.food || ""}` : (data[key] || "");
    });
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
      dialog.showModal();
      dialog.querySelector("button[value=confirm]").focus();
    });
  }

  // Next steps: each positive keeps its own alert until "done" or followed; any other advice
  // replaces the previous other advice and never a positive's.
  function announce(batch, data) {
    const positive = data.outcome === "positive";
    let box = positive ? null : next.querySelector(".next-other");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("role", positive ? "alert" : "status");
      if (positive) next.prepend(box); else next.appendChild(box);
    }
    box.className = `alert d-flex flex-wrap align-items-center gap-2 ${positive ? "alert-danger next-positive" : "alert-warning next-other"}`;
    box.dataset.batch = batch;
    box.textContent = "";
    const text = document.createElement("span");
    text.className = "me-auto";
    text.textContent = `${batch}: ${data.next}`;
    box.appendChild(text);
    if (data.batch_url) {
      const a = document.createElement("a");
      a.href = data.batch_url; a.className = "alert-link"; a.textContent = `${next.dataset.go} →`;
      box.appendChild(a);
    }
    if (positive) {
      const done = document.createElement("button");
      done.type = "button"; done.className = "btn btn-sm btn-outline-danger"; done.textContent = next.dataset.done;
      done.addEventListener("click", () => box.remove());
      box.appendChild(done);
    }
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
