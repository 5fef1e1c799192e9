// The market board on a wall screen (公示栏): every result is shown on some page and the
// footer (screening statement, complaint phone) never leaves the screen. The results are
// split into pages that fit between the header and the footer, shown in turn; after a full
// round (and at least data-refresh-seconds) the page reloads for fresh results.
// ?seconds=N changes the time per page (for trying a screen out).
(function () {
  "use strict";
  var main = document.querySelector(".board-main[data-page-seconds]");
  if (!main) { return; }
  var wanted = Number(new URLSearchParams(window.location.search).get("seconds"));
  var seconds = wanted > 0 ? wanted : Number(main.dataset.pageSeconds) || 12;
  var refreshMs = (Number(main.dataset.refreshSeconds) || 60) * 1000;
  var label = main.dataset.pageLabel || "{n} / {total}";
  var indicator = document.querySelector(".board-page");
  var rows = Array.prototype.slice.call(main.querySelectorAll(".board-row"));
  var sections = Array.prototype.slice.call(main.querySelectorAll("section"));
  var started = Date.now();
  var pages = [];
  var current = 0;

  function fitSections() {
    // A section heading stays only above rows of the page shown.
    sections.forEach(function (s) {
      var hasRows = s.querySelector(".board-row") !== null;
      s.hidden = hasRows && s.querySelector(".board-row:not([hidden])") === null;
    });
  }

  function overflows() {
    return main.scrollHeight > main.clientHeight + 1;
  }

  function paginate() {
    pages = [];
    var page = [];
    rows.forEach(function (r) { r.hidden = true; });
    rows.forEach(function (row) {
      row.hidden = false;
      fitSections();
      if (page.length && overflows()) {
        page.forEach(function (r) { r.hidden = true; });
        pages.push(page);
        page = [];
        fitSections();
      }
      page.push(row);
    });
    if (page.length) { pages.push(page); }
    pages.forEach(function (p, i) { p.forEach(function (r) { r.dataset.page = String(i); }); });
    document.body.dataset.pages = String(Math.max(pages.length, 1));
  }

  function show(index) {
    current = index;
    rows.forEach(function (r) { r.hidden = r.dataset.page !== String(index); });
    fitSections();
    if (indicator) {
      indicator.hidden = pages.length < 2;
      indicator.textContent = label.replace("{n}", String(index + 1)).replace("{total}", String(pages.length));
    }
    document.body.dataset.page = String(index);
  }

  function next() {
    var following = pages.length ? (current + 1) % pages.length : 0;
    if (following === 0 && Date.now() - started >= refreshMs) {
      window.location.reload();
      return;
    }
    show(following);
  }

  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () { paginate(); show(0); }, 200);
  });
  paginate();
  show(0);
  window.setInterval(next, seconds * 1000);
}());
