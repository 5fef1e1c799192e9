// The job page: poll the job's JSON every second; show the rows processed; open the outcome when done.
(function () {
  "use strict";
  var card = document.querySelector("[data-job-status]");
  var words = card && card.querySelector(".job-words");
  if (!card || !words) { return; }
  var bar = card.querySelector(".job-bar");
  var progress = card.querySelector("[role=progressbar]");
  var errorLine = card.querySelector(".job-error");
  var errorText = card.querySelector(".job-error-text");

  function fill(template, done, total) {
    return template.replace("{done}", done.toLocaleString()).replace("{total}", total ? total.toLocaleString() : "");
  }

  function show(state) {
    if (state.status === "queued") {
      words.textContent = words.dataset.queued;
    } else if (state.rows_total) {
      // English says "1 row", "2 rows" (the page gives both forms; Chinese has one)
      words.textContent = fill(state.rows_total === 1 ? words.dataset.ofOne : words.dataset.of, state.rows_done,
                               state.rows_total);
      bar.style.width = Math.min(100, Math.round(100 * state.rows_done / state.rows_total)) + "%";
      progress.setAttribute("aria-valuenow", state.rows_done);
    } else {
      words.textContent = fill(state.rows_done === 1 ? words.dataset.rowsOne : words.dataset.rows, state.rows_done, 0);
    }
    if (state.error && state.status !== "done") {
      errorLine.hidden = false;
      errorText.textContent = state.error;
    }
  }

  function poll() {
    fetch(card.dataset.jobStatus, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { setTimeout(poll, 3000); return; }
        show(state);
        if (state.status === "done" || state.finished) {
          window.location.assign(card.dataset.jobPage);
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
