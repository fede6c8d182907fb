// The waiting page's progress: it counts the time waited and polls the
// notebook's state (the status endpoint, with the session cookie). Once the
// notebook runs, or has stopped and can be started, it goes on to /open,
// which mints the link or starts the notebook. Without this script, a meta
// refresh reloads the page, which does the same.
(function () {
  var box = document.getElementById("wait");
  if (!box || !window.fetch) {
    return;
  }
  var statusURL = box.getAttribute("data-status-url");
  var openURL = box.getAttribute("data-open-url");
  var every = Number(box.getAttribute("data-every")) * 1000;
  var since = Number(box.getAttribute("data-since")) * 1000;
  var elapsed = document.getElementById("elapsed");
  var state = document.getElementById("wait-state");

  function show(secs) {
    var m = Math.floor(secs / 60);
    return m ? m + " min " + (secs % 60) + " s" : secs + " s";
  }
  function tick() {
    elapsed.textContent = show(Math.max(0, Math.round((Date.now() - since) / 1000)));
  }
  function poll() {
    fetch(statusURL, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          // The page itself shows the refusal, in words.
          window.location.reload();
          return null;
        }
        return r.json();
      })
      .then(function (st) {
        if (!st) {
          return;
        }
        if (st.ready || st.start) {
          window.location.replace(openURL);
          return;
        }
        if (state.textContent !== st.status) {
          // A new stage (Stopping to Starting): the page shows it afresh.
          window.location.reload();
          return;
        }
        window.setTimeout(poll, every);
      })
      .catch(function () {
        window.setTimeout(poll, every);
      });
  }
  if (elapsed && since) {
    window.setInterval(tick, 1000);
  }
  window.setTimeout(poll, every);
})();
