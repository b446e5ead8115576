/* Brief page: the live conversation with the visitor, fetched when the page opens (it replaces the transcript
   stored with the brief), when live.js hears that the visitor wrote (no polling) and after the salesperson sends;
   Ctrl+Enter sends; the contact bar's copy buttons. Messages are shown with textContent only. */
(function () {
  "use strict";
  var briefId = document.currentScript.dataset.brief;
  var log = document.getElementById("live-log");
  var form = document.getElementById("live-form");
  var state = document.getElementById("live-state");
  var shown = 0;

  function render(messages) {
    var fromVisitor = false;
    log.querySelectorAll("li.stored").forEach(function (line) { line.remove(); });
    for (; shown < messages.length; shown++) {
      var line = messages[shown];
      var item = document.createElement("li");
      item.className = line.speaker;
      var who = document.createElement("span");
      who.className = "speaker";
      who.textContent = line.speaker;
      item.appendChild(who);
      item.appendChild(document.createTextNode(" " + line.text));
      log.appendChild(item);
      fromVisitor = fromVisitor || line.speaker === "visitor";
    }
    log.scrollTop = log.scrollHeight;  // the newest message in sight (the log scrolls beside a wide brief)
    return fromVisitor;
  }
  function post(url, body) {  // a form post of this page (with its CSRF token), answered in JSON
    return fetch(url, { method: "POST", body: body || new URLSearchParams({ csrf: form.csrf.value }),
                        credentials: "same-origin", headers: { "Accept": "application/json" } });
  }
  function markRead() {  // the salesperson has the page in front of them: the new messages are read
    post("/inbox/briefs/" + briefId + "/read");
  }
  function refresh() {
    fetch("/inbox/briefs/" + briefId + "/messages", { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (data) {
        var first = shown === 0;
        if (render(data.messages) && !first && !document.hidden) markRead();
        state.textContent = data.paused ? "The bot is paused: you are talking to the visitor."
                                         : "The bot is answering this visitor.";
      })
      .catch(function () { state.textContent = "Can't reach the conversation service; it will retry when the visitor writes."; });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    post(form.action, new URLSearchParams(new FormData(form)))
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        form.message.value = "";
        toldTyping = 0;  // sent: the next keystroke starts a new "typing…"
        refresh();
      })
      .catch(function () { state.textContent = "The message was not sent; try again."; });
  });
  var toldTyping = 0;
  form.message.addEventListener("input", function () {  // the visitor's widget shows "Ann is typing…"
    if (Date.now() - toldTyping < 3000 || !form.message.value.trim()) return;
    toldTyping = Date.now();
    post("/inbox/briefs/" + briefId + "/typing");
  });
  form.message.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var label = button.textContent;
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      });
    });
  });
  document.addEventListener("visitor-wrote", refresh);
  document.addEventListener("live-open", refresh);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) markRead(); });
  refresh();
})();
