// The queue: j/k move, Enter opens, n opens the next unclaimed case, / searches.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr"))
    .filter(function (row) { return row.querySelector(".kyc-case-link"); });
  var current = -1;
  function select(index) {
    if (!rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("kyc-current"); }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].classList.add("kyc-current");
    rows[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    if (event.key === "j") { select(current + 1); }
    else if (event.key === "k") { select(current - 1); }
    else if (event.key === "Enter" && current >= 0) { rows[current].querySelector(".kyc-case-link").click(); }
    else if (event.key === "n") { document.getElementById("next-case").click(); }
    else if (event.key === "/") { event.preventDefault(); document.querySelector('input[name="q"]').focus(); }
  });
})();
