// The dashboard's period picker: only the fields of the chosen kind are shown and sent
// (without JavaScript every field shows and the server reads the chosen kind's only).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-period-picker]");
  if (!form) return;
  const kind = form.querySelector("select[name=period]");
  const sync = () => {
    form.querySelectorAll("[data-period-field]").forEach((box) => {
      const on = box.dataset.periodField === kind.value;
      box.hidden = !on;
      box.querySelectorAll("input, select").forEach((el) => { el.disabled = !on; });
    });
  };
  kind.addEventListener("change", sync);
  sync();
});
