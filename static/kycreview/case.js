// The case page: image tools (zoom, rotate, contrast, evidence), keyboard shortcuts, prefilled
// client messages and the claim heartbeat. A file, not inline: the pages run under a CSP.
(function () {
  "use strict";
  var page = document.querySelector(".kyc-decide-page");
  if (!page) { return; }

  // -- image viewers --------------------------------------------------------------------
  var viewers = Array.prototype.slice.call(document.querySelectorAll(".kyc-viewer"));
  var active = viewers[0] || null;
  function state(viewer) {
    if (!viewer.kycState) { viewer.kycState = { zoom: 1, rotation: 0 }; }
    return viewer.kycState;
  }
  function apply(viewer) {
    var s = state(viewer);
    var stage = viewer.querySelector(".kyc-viewer-stage");
    var frame = viewer.querySelector(".kyc-viewer-frame");
    var img = stage.querySelector("img");
    // Zoom 1 fits the whole image in the frame, whatever its orientation.
    var aspect = (img.getAttribute("width") / img.getAttribute("height")) || 1;
    var fit = Math.min(frame.clientWidth, frame.clientHeight * aspect);
    stage.style.width = (fit * s.zoom) + "px";
    stage.style.transformOrigin = "center center";
    stage.style.transform = "rotate(" + s.rotation + "deg)";
  }
  function tool(viewer, name) {
    var s = state(viewer);
    if (name === "zoom-in") { s.zoom = Math.min(s.zoom * 1.25, 8); }
    else if (name === "zoom-out") { s.zoom = Math.max(s.zoom / 1.25, 0.5); }
    else if (name === "rotate") { s.rotation = (s.rotation + 90) % 360; }
    else if (name === "contrast") { viewer.classList.toggle("kyc-contrast"); }
    else if (name === "evidence") {
      var hidden = viewer.classList.toggle("kyc-no-evidence");
      viewer.querySelector('[data-tool="evidence"]').setAttribute("aria-pressed", hidden ? "false" : "true");
    } else if (name === "reset") {
      s.zoom = 1; s.rotation = 0; viewer.classList.remove("kyc-contrast", "kyc-no-evidence");
    }
    apply(viewer);
  }
  viewers.forEach(function (viewer) {
    apply(viewer);
    viewer.addEventListener("click", function (event) {
      var button = event.target.closest("[data-tool]");
      active = viewer;
      if (button) { tool(viewer, button.getAttribute("data-tool")); }
    });
    viewer.addEventListener("mouseenter", function () { active = viewer; });
  });

  // -- reject codes: show and prefill the client message of each chosen code --------------
  var form = document.getElementById("decision-form");
  function syncMessages() {
    if (!form) { return; }
    var chosen = {};
    form.querySelectorAll('input[name="codes"]').forEach(function (box) { chosen[box.value] = box.checked; });
    form.querySelectorAll("textarea.kyc-code-message").forEach(function (area) {
      var row = area.closest(".form-row") || area.parentNode;
      row.hidden = !chosen[area.getAttribute("data-code")];
    });
    var details = document.getElementById("code-messages");
    if (details && Object.keys(chosen).some(function (k) { return chosen[k] && k !== "other"; })) { details.open = true; }
  }
  if (form) {
    form.addEventListener("change", function (event) {
      if (event.target.name === "codes") {
        var reject = form.querySelector('input[name="decision"][value="reject"]');
        if (reject && event.target.checked) { reject.checked = true; }
        syncMessages();
      }
    });
    syncMessages();
  }

  // -- keyboard -----------------------------------------------------------------------------
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var key = event.key;
    if (key === "n") { window.location.href = page.getAttribute("data-next-url"); }
    else if (key === "a" && form) {
      var approve = form.querySelector('input[name="decision"][value="approve"]');
      if (approve) { approve.checked = true; event.preventDefault(); form.requestSubmit(); }
    } else if (key === "r" && form) {
      var reject = form.querySelector('input[name="decision"][value="reject"]');
      if (reject) { reject.checked = true; }
      var first = form.querySelector('input[name="codes"]');
      if (first) { first.focus(); event.preventDefault(); }
    } else if (active && (key === "+" || key === "=")) { tool(active, "zoom-in"); }
    else if (active && key === "-") { tool(active, "zoom-out"); }
    else if (active && key === "o") { tool(active, "rotate"); }
    else if (active && key === "c") { tool(active, "contrast"); }
    else if (active && key === "e") { tool(active, "evidence"); }
  });

  // -- claim heartbeat: keep the claim while the page is open and visible -----------------
  if (page.getAttribute("data-holds-claim") === "1") {
    var token = document.querySelector('input[name="csrfmiddlewaretoken"]');
    setInterval(function () {
      if (document.hidden || !token) { return; }
      var body = new URLSearchParams({ action: "heartbeat", csrfmiddlewaretoken: token.value });
      fetch(page.getAttribute("data-case-url"), { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 409) {
            var badge = document.getElementById("claim-state");
            if (badge) { badge.textContent = "Claim lost: another reviewer took the case"; badge.className = "kyc-badge kyc-badge-bad"; }
          }
        });
    }, 60000);
  }
})();
