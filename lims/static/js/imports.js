// Upload with a visible progress bar, then open the preview while the server reads the rows.
(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector(".drop-zone");
  const name = document.getElementById("file-name");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  const show = (file) => { name.textContent = `${file.name} · ${(file.size / 1024).toFixed(0)} KB`; };
  input.addEventListener("change", () => { if (input.files[0]) show(input.files[0]); });
  ["dragenter", "dragover"].forEach((e) => zone.addEventListener(e, (ev) => { ev.preventDefault(); zone.classList.add("dragging"); }));
  ["dragleave", "drop"].forEach((e) => zone.addEventListener(e, () => zone.classList.remove("dragging")));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    if (ev.dataTransfer.files.length) { input.files = ev.dataTransfer.files; show(input.files[0]); }
  });
  form.addEventListener("submit", (ev) => {
    if (!input.files[0]) return;
    ev.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.uploadUrl);
    xhr.setRequestHeader("X-CSRFToken", LIMS.csrf());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    bar.classList.remove("d-none");
    status.classList.remove("d-none");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round((100 * e.loaded) / e.total);
      bar.firstElementChild.style.width = `${pct}%`;
      status.textContent = pct < 100 ? status.dataset.uploading.replace("%s", `${pct}%`) : status.dataset.analysing;
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 200 && xhr.response && xhr.response.url) {
        status.textContent = status.dataset.analysing;
        window.location.assign(xhr.response.url);
      } else {
        bar.classList.add("d-none");
        status.classList.add("text-danger");
        status.textContent = (xhr.response && xhr.response.message) || xhr.statusText;
      }
    });
    xhr.addEventListener("error", () => form.submit());
    xhr.send(new FormData(form));
  });
})();
