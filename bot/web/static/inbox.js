/* Brief page: the live conversation with the visitor. Messages are shown with textContent only. */
(function () {
  "use strict";
  var briefId = document.currentScript.dataset.brief;
  var log = document.getElementById("live-log");
  var form = document.getElementById("live-form");
  var state = document.getElementById("live-state");
  var shown = 0;

  function render(messages) {
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
    }
  }
  function poll() {
    fetch("/inbox/briefs/" + briefId + "/messages", { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(function (data) {
        render(data.messages);
        state.textContent = data.paused ? "The bot is paused: you are talking to the visitor."
                                         : "The bot is answering this visitor.";
      })
      .catch(function () { state.textContent = "Can't reach the conversation service; retrying…"; })
      .finally(function () { setTimeout(poll, 2000); });
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: "POST", body: body, credentials: "same-origin",
                         headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        form.message.value = "";
      })
      .catch(function () { state.textContent = "The message was not sent; try again."; });
  });
  poll();
})();
