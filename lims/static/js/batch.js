// The result form on a batch page: show the outcome as the reading is typed.
(() => {
  const form = document.querySelector("form.result-form");
  if (!form) return;
  const out = form.querySelector(".live-outcome");
  const prefix = form.querySelector('[name$="item"]').name.replace(/item$/, "");
  const val = (n) => { const el = form.querySelector(`[name="${prefix}${n}"]`); return el ? el.value : ""; };
  const colours = { negative: "success", positive: "danger", suspect: "warning", invalid: "warning" };
  const update = LIMS.debounce(async () => {
    if (!val("value") && !val("control_delta") && !val("c_line") && !val("tc_ratio")) { out.replaceChildren(); return; }
    const body = { batch: form.dataset.batch, item: val("item"), value: val("value"), control_delta: val("control_delta"),
      sample_delta: val("sample_delta"), c_line: val("c_line"), t_line: val("t_line"), tc_ratio: val("tc_ratio"),
      reagent_lot: val("reagent_lot"), tested_at: val("tested_at"), instrument_word: val("instrument_word") };
    const { data } = await LIMS.postJSON("/results/assess", body);
    out.textContent = "";
    if (data.outcome) {
      const badge = document.createElement("span");
      badge.className = `badge text-bg-${colours[data.outcome]} me-2`;
      badge.textContent = data.label;
      out.appendChild(badge);
      out.appendChild(document.createTextNode(data.reason || ""));
    }
    const problems = Object.values(data.errors || {}).flat().concat(Object.values(data.warnings || {}).flat());
    if (problems.length) {
      const p = document.createElement("span");
      p.className = "text-danger ms-2";
      p.textContent = LIMS.joinSentences(problems);
      out.appendChild(p);
    }
  }, 250);
  form.addEventListener("input", update);
  form.addEventListener("change", update);
})();
