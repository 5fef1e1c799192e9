// The round registration grid: a morning at one market from the keyboard alone.
// Enter/Tab move on, Enter in the last cell saves the row and opens the next one,
// ↑/↓ move between rows, foods are found by name or pinyin initials, and a stall's
// last supplier and origin are filled in as soon as its number is typed.
(() => {
  const table = document.getElementById("round-grid");
  if (!table) return;
  const tbody = table.querySelector("tbody");
  const data = JSON.parse(document.getElementById("grid-data").textContent);
  const t = document.getElementById("grid-i18n").dataset;
  const readonly = table.dataset.readonly === "true";
  const COLS = ["code", "stall", "food", "supplier", "origin", "quantity_kg", "tests"];
  const stalls = new Map(data.stalls.map((s) => [s.code, s]));
  const foods = data.foods;
  const foodByName = new Map(foods.map((f) => [f.name, f]));
  const itemNames = new Map(data.items.map((i) => [i.code, i.name]));
  let rowCount = 0;

  const norm = (s) => (s || "").normalize("NFKC").trim();
  const cell = (row, name) => row.querySelector(`[name="${name}"]`);

  function savedRow(b) {
    const tr = document.createElement("tr");
    tr.className = "saved";
    rowCount += 1;
    const values = [String(rowCount), b.code, b.stall, b.food, b.supplier, b.origin, b.quantity_kg,
      b.tests.map((c) => itemNames.get(c) || c).join("、")];
    values.forEach((v, i) => {
      const td = document.createElement("td");
      td.textContent = v || "";
      td.className = i === 0 ? "num" : `c-${COLS[i - 1]}${i === 1 ? " font-monospace" : ""}`;
      tr.appendChild(td);
    });
    const state = document.createElement("td");
    state.className = "state text-success";
    state.textContent = "✓";
    tr.appendChild(state);
    tr.dataset.code = b.code;
    return tr;
  }

  function editableRow() {
    const tr = document.createElement("tr");
    tr.className = "editing";
    const num = document.createElement("td");
    num.className = "num text-muted";
    num.textContent = String(rowCount + 1);
    tr.appendChild(num);
    COLS.forEach((name) => {
      const td = document.createElement("td");
      td.className = `c-${name}`;
      const input = document.createElement("input");
      input.name = name;
      input.className = "form-control form-control-sm";
      input.autocomplete = "off";
      input.setAttribute("aria-label", table.querySelectorAll("thead th")[COLS.indexOf(name) + 1].textContent);
      if (name === "quantity_kg") input.inputMode = "decimal";
      if (name === "stall") input.setAttribute("list", "stall-codes");
      td.appendChild(input);
      if (name === "stall" || name === "tests" || name === "food") {
        const hint = document.createElement("div");
        hint.className = "hint small text-muted";
        td.appendChild(hint);
      }
      tr.appendChild(td);
    });
    const state = document.createElement("td");
    state.className = "state small";
    tr.appendChild(state);
    return tr;
  }

  function ensureEmptyRow() {
    const rows = tbody.querySelectorAll("tr.editing");
    const last = rows[rows.length - 1];
    if (!last || COLS.some((n) => cell(last, n).value.trim())) {
      tbody.appendChild(editableRow());
      renumber();
    }
  }

  // --- stall and food helpers ---------------------------------------------------------
  function onStall(row) {
    const input = cell(row, "stall");
    input.value = norm(input.value).toUpperCase();
    const s = stalls.get(input.value);
    const hint = input.parentElement.querySelector(".hint");
    hint.textContent = s ? s.operator : "";
    if (s) {
      if (!cell(row, "supplier").value && s.supplier) cell(row, "supplier").value = s.supplier;
      if (!cell(row, "origin").value && s.origin) cell(row, "origin").value = s.origin;
    }
  }

  function matchFoods(text) {
    const q = norm(text).toLowerCase();
    if (!q) return [];
    const starts = [], contains = [];
    for (const f of foods) {
      if (f.name.startsWith(q) || f.initials.startsWith(q)) starts.push(f);
      else if (f.name.includes(q)) contains.push(f);
    }
    return starts.concat(contains).slice(0, 8);
  }

  let menu = null;
  let menuInput = null;
  function closeMenu() { if (menu) { menu.remove(); menu = null; menuInput = null; } }
  function placeMenu() {
    // Fixed to the viewport under the cell, so that no scrolling container clips it.
    if (!menu) return;
    const rect = menuInput.getBoundingClientRect();
    Object.assign(menu.style, { left: `${rect.left}px`, top: `${rect.bottom + 2}px`, minWidth: `${rect.width}px` });
  }
  function openMenu(input) {
    closeMenu();
    const matches = matchFoods(input.value);
    if (!matches.length || (matches.length === 1 && matches[0].name === norm(input.value))) return;
    menu = document.createElement("ul");
    menu.className = "list-group food-menu shadow";
    menu.setAttribute("role", "listbox");
    matches.forEach((f, i) => {
      const li = document.createElement("li");
      li.className = `list-group-item list-group-item-action py-1${i === 0 ? " active" : ""}`;
      li.setAttribute("role", "option");
      li.dataset.name = f.name;
      li.append(f.name, Object.assign(document.createElement("small"), { className: "ms-2 opacity-75", textContent: f.category_name }));
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pickFood(input, f.name); closeMenu(); });
      menu.appendChild(li);
    });
    menuInput = input;
    document.body.appendChild(menu);
    placeMenu();
  }
  function moveMenu(step) {
    const items = [...menu.children];
    let i = items.findIndex((li) => li.classList.contains("active"));
    items[i].classList.remove("active");
    i = (i + step + items.length) % items.length;
    items[i].classList.add("active");
  }
  function pickFood(input, name) {
    input.value = name;
    const row = input.closest("tr");
    const f = foodByName.get(name);
    const hint = input.parentElement.querySelector(".hint");
    hint.textContent = f ? f.category_name : "";
    row.dataset.category = f ? f.category : "";
    if (f && !cell(row, "tests").value) {
      cell(row, "tests").value = f.tests.join(" ");
      showTests(row);
    }
  }
  function showTests(row) {
    const input = cell(row, "tests");
    const names = input.value.split(/[\s,，、]+/).filter(Boolean).map((c) => itemNames.get(c.toUpperCase()) || c);
    input.parentElement.querySelector(".hint").textContent = names.join("、");
  }

  // --- saving ----------------------------------------------------------------------------
  function rowData(row) {
    const d = {};
    COLS.forEach((n) => { d[n] = norm(cell(row, n).value); });
    d.tests = d.tests.split(/[\s,，、]+/).filter(Boolean);
    if (row.dataset.category) d.category = row.dataset.category;
    if (!d.quantity_kg) delete d.quantity_kg;
    return d;
  }

  function showErrors(row, errors) {
    row.querySelectorAll(".is-invalid").forEach((el) => el.classList.remove("is-invalid"));
    const messages = [];
    let first = null;
    for (const [key, msgs] of Object.entries(errors)) {
      const input = cell(row, key === "site" ? "stall" : key);
      if (input) { input.classList.add("is-invalid"); input.title = LIMS.joinSentences(msgs); first = first || input; }
      messages.push(...msgs);
    }
    const state = row.querySelector(".state");
    state.className = "state small text-danger";
    state.textContent = LIMS.joinSentences(messages);
    return first;
  }

  async function save(row) {
    const d = rowData(row);
    if (!d.food && !d.stall && !d.code) return false;
    const state = row.querySelector(".state");
    state.className = "state small text-muted";
    state.textContent = t.saving;
    let answer;
    try {
      answer = await LIMS.postJSON(table.dataset.saveUrl, { rows: [d] });
    } catch (e) {
      state.className = "state small text-danger";
      state.textContent = t.offline;
      return false;
    }
    const result = answer.data.rows ? answer.data.rows[0] : { ok: false, errors: { _: [answer.data.message || t.error] } };
    if (!result.ok) {
      showErrors(row, result.errors || {});
      return false;
    }
    const b = result.batch;
    if (b.stall && stalls.has(b.stall)) {  // remember the last supplier per stall
      const s = stalls.get(b.stall);
      s.supplier = b.supplier; s.origin = b.origin;
    }
    row.replaceWith(savedRow(b));
    renumber();
    ensureEmptyRow();
    return true;
  }

  function renumber() {
    const editing = tbody.querySelectorAll("tr.editing");
    editing.forEach((r, i) => { r.querySelector(".num").textContent = String(rowCount + i + 1); });
  }

  function focusRow(row, name) {
    const input = cell(row, name);
    if (input) { input.focus(); input.select(); }
  }

  // --- keyboard ----------------------------------------------------------------------------
  tbody.addEventListener("keydown", async (ev) => {
    const input = ev.target;
    if (!(input instanceof HTMLInputElement)) return;
    const row = input.closest("tr");
    const name = input.name;
    if (menu && name === "food") {
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") { ev.preventDefault(); moveMenu(ev.key === "ArrowDown" ? 1 : -1); return; }
      if (ev.key === "Escape") { closeMenu(); return; }
      if (ev.key === "Enter" || ev.key === "Tab") {
        const active = menu.querySelector(".active");
        if (active) pickFood(input, active.dataset.name);
        closeMenu();
      }
    }
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      const rows = [...tbody.querySelectorAll("tr.editing")];
      const next = rows[rows.indexOf(row) + (ev.key === "ArrowDown" ? 1 : -1)];
      if (next) focusRow(next, name);
      return;
    }
    if ((ev.key === "Enter" || ev.key === "Tab") && !ev.shiftKey) {
      ev.preventDefault();
      if (name === "stall") onStall(row);
      if (name === "food" && foodByName.has(norm(input.value))) pickFood(input, norm(input.value));
      if (name === "tests") showTests(row);
      const i = COLS.indexOf(name);
      if (i < COLS.length - 1) { focusRow(row, COLS[i + 1]); return; }
      // Move on at once and save in the background: a fast typist or a scanner is never
      // pulled back; a row that fails stays red for ↑ to reach it.
      ensureEmptyRow();
      const rows = [...tbody.querySelectorAll("tr.editing")];
      const next = rows[rows.indexOf(row) + 1];
      if (next) focusRow(next, "code");
      save(row);
    }
  });
  window.addEventListener("scroll", placeMenu, { passive: true, capture: true });
  tbody.addEventListener("input", (ev) => {
    if (ev.target.name === "food") openMenu(ev.target);
    ensureEmptyRow();
  });
  tbody.addEventListener("focusout", (ev) => {
    const row = ev.target.closest("tr");
    if (!row || !row.classList.contains("editing")) return;
    if (ev.target.name === "stall") onStall(row);
    if (ev.target.name === "food") {
      const input = ev.target;  // close only this cell's menu (a fast typist may already be in the next row's)
      setTimeout(() => { if (menuInput === input) closeMenu(); }, 100);
      if (foodByName.has(norm(input.value))) pickFood(input, norm(input.value));
    }
    if (ev.target.name === "tests") showTests(row);
  });

  // --- start ---------------------------------------------------------------------------
  const list = document.createElement("datalist");
  list.id = "stall-codes";
  data.stalls.forEach((s) => { const o = document.createElement("option"); o.value = s.code; o.label = s.operator; list.appendChild(o); });
  document.body.appendChild(list);
  data.batches.forEach((b) => tbody.appendChild(savedRow(b)));
  if (!readonly) {
    tbody.appendChild(editableRow());
    focusRow(tbody.querySelector("tr.editing"), "code");
  }
})();
