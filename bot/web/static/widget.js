/* Chat widget for the demand-side sales assistant. No build step: plain JavaScript.
 *
 * Embed on any page:
 *   <script src="https://YOUR-WEB-APP/static/widget.js" data-server="https://YOUR-RASA" defer></script>
 * Optional: data-title, data-color, data-greeting (shown above the bot's first message), data-open="true".
 *
 * Speaks Rasa's socket.io channel (session_request / session_confirm / user_uttered / bot_uttered).
 * Everything displayed is set with textContent: nothing a visitor or the bot sends is parsed as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var data = script ? script.dataset : {};
  var scriptOrigin = script ? new URL(script.src, location.href).origin : location.origin;
  var config = {
    server: data.server || "http://127.0.0.1:5005",
    webApp: data.webApp || scriptOrigin,
    title: data.title || "Questions? Let's talk",
    color: data.color || "#3b4cca",
    greeting: data.greeting || "",
    open: data.open === "true",
  };
  var STORE = "dsb-chat:" + config.server;
  var stored = JSON.parse(localStorage.getItem(STORE) || "{}");
  function randomId() { // for the outbox's own bookkeeping
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  // The conversation id comes from the web app, signed: the chat server refuses ids it did not issue.
  var sessionId = stored.sessionId || null;
  var isOpen = Boolean(stored.open);
  // Messages not yet acknowledged by the server: kept across reloads and sent again on reconnect.
  var outbox = stored.outbox || [];
  // Where several chat servers share the load, this keeps every request of the socket (long polling) on
  // the one server that holds it. Not the conversation id: that never appears in a URL.
  var route = stored.route || randomId();
  function save() {
    localStorage.setItem(STORE, JSON.stringify({ sessionId: sessionId, outbox: outbox, open: isOpen,
                                                 route: route }));
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var css = el("link", { rel: "stylesheet", href: scriptOrigin + "/static/widget.css" });
  document.head.appendChild(css);
  var root = el("div", { class: "dsb-root" });
  root.style.setProperty("--dsb-color", config.color);
  var launcher = el("button", { class: "dsb-launcher", type: "button", "aria-expanded": "false",
                                "aria-controls": "dsb-panel" }, config.title);
  // Messages that arrived while the chat was closed (a salesperson's reply): counted on the launcher.
  var badge = el("span", { class: "dsb-badge", hidden: "" });
  launcher.appendChild(badge);
  function setUnread(count) {
    badge.textContent = count ? String(count) : "";
    badge.hidden = !count;
    if (count) launcher.setAttribute("aria-label", config.title + " (" + count + " new)");
    else launcher.removeAttribute("aria-label");
  }
  var panel = el("section", { class: "dsb-panel", id: "dsb-panel", role: "dialog", "aria-label": config.title,
                              hidden: "" });
  var header = el("header", { class: "dsb-header" });
  header.appendChild(el("h2", { class: "dsb-title" }, config.title));
  var close = el("button", { class: "dsb-close", type: "button", "aria-label": "Close chat" }, "×");
  header.appendChild(close);
  var status = el("p", { class: "dsb-status", role: "status", "aria-live": "polite" });
  var log = el("ol", { class: "dsb-log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  var typing = el("p", { class: "dsb-typing", hidden: "", "aria-hidden": "true" }, "typing…");
  var replies = el("div", { class: "dsb-replies", role: "group", "aria-label": "Suggested replies" });
  var form = el("form", { class: "dsb-form" });
  var label = el("label", { class: "dsb-visually-hidden", for: "dsb-input" }, "Your message");
  var input = el("input", { id: "dsb-input", class: "dsb-input", type: "text", autocomplete: "off",
                            maxlength: "2000", placeholder: "Type your message…" });
  var send = el("button", { class: "dsb-send", type: "submit" }, "Send");
  form.appendChild(label); form.appendChild(input); form.appendChild(send);
  panel.appendChild(header); panel.appendChild(status); panel.appendChild(log); panel.appendChild(typing);
  panel.appendChild(replies); panel.appendChild(form);
  root.appendChild(launcher); root.appendChild(panel);
  document.body.appendChild(root);

  var LABELS = { bot: "Assistant: ", agent: "Sales: ", visitor: "You: " };
  function show(speaker, text, name) {
    var item = el("li", { class: "dsb-msg dsb-" + speaker });
    if (speaker === "agent" && name) { // a person from the team: their name, seen and heard
      item.appendChild(el("span", { class: "dsb-name" }, name));
      item.appendChild(el("span", { class: "dsb-visually-hidden" }, ": "));
    } else {
      item.appendChild(el("span", { class: "dsb-visually-hidden" }, LABELS[speaker] || "Assistant: "));
    }
    item.appendChild(document.createTextNode(text));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }
  function note(text) { // "Sam joined the chat"
    log.appendChild(el("li", { class: "dsb-note", role: "status" }, text));
    log.scrollTop = log.scrollHeight;
  }
  function showReplies(buttons) {
    replies.textContent = "";
    (buttons || []).forEach(function (button) {
      var chip = el("button", { class: "dsb-reply", type: "button" }, button.title);
      chip.addEventListener("click", function () { say(button.title, button.payload); });
      replies.appendChild(chip);
    });
    log.scrollTop = log.scrollHeight; // the replies take room from the log: keep the last message in view
  }
  var typingTimer = null;
  function setTyping(on, who) {  // who: the salesperson typing (their page says so every 3 s while they type)
    typing.hidden = !on;
    typing.textContent = who ? who + " is typing…" : "typing…";
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(function () { typing.hidden = true; }, who ? 6000 : 15000);
  }

  var socket = null;
  var confirmed = false;
  var started = false;
  var paused = false; // a person has taken over: no "typing…" from the bot

  // The visitor's time zone, so that call times are offered as they read them.
  function timeZone() {
    try { return Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { return null; }
  }
  function emit(message, metadata, acknowledged) {
    var payload = { message: message, session_id: sessionId,
                    customData: Object.assign({ page_url: location.href, referrer: document.referrer || null,
                                                time_zone: timeZone() }, metadata || {}) };
    // An extra argument that is not a function would reach Rasa's handler as data and break it.
    if (acknowledged) socket.emit("user_uttered", payload, acknowledged);
    else socket.emit("user_uttered", payload);
  }
  function flush() {
    if (!confirmed || !socket || !socket.connected) return;
    outbox.forEach(function (item) {
      if (item.sent) return;
      item.sent = true;
      emit(item.text, null, function () { // the server has it: only now is it safe to forget
        outbox = outbox.filter(function (other) { return other.id !== item.id; });
        save();
      });
    });
  }
  function say(text, payload) {
    text = text.trim();
    if (!text) return;
    show("visitor", text);
    showReplies([]);
    outbox.push({ id: randomId(), text: payload || text });
    save();
    if (!paused) setTyping(true);
    flush();
  }

  function post(path, fields) { // a form post: no preflight, and the id stays out of every URL
    return fetch(config.webApp + path, { method: "POST", body: new URLSearchParams(fields || {}) })
      .then(function (response) { return response.ok ? response.json() : null; })
      .catch(function () { return null; });
  }
  function loadHistory() { // null when the history could not be read
    return post("/chat/history", { session_id: sessionId });
  }
  function requestSession() {
    if (sessionId) return socket.emit("session_request", { session_id: sessionId });
    post("/chat/session").then(function (issued) {
      if (!issued) { status.textContent = "Can't reach the chat right now; retrying…"; return setTimeout(requestSession, 3000); }
      sessionId = issued.session_id;
      save();
      socket.emit("session_request", { session_id: sessionId });
    });
  }
  function render(history) {
    log.textContent = "";
    if (config.greeting) log.appendChild(el("li", { class: "dsb-msg dsb-bot dsb-intro" }, config.greeting));
    history.messages.forEach(function (line) { show(line.speaker, line.text, line.name); });
    outbox.forEach(function (item) { show("visitor", item.text); }); // typed, not yet delivered
    var last = history.messages[history.messages.length - 1];
    showReplies(last && last.buttons);
    paused = Boolean(history.paused);
  }

  function connect() {
    socket = io(config.server, { path: "/socket.io", transports: ["websocket", "polling"],
                                 query: { route: route } });
    socket.on("connect", function () {
      status.textContent = "";
      requestSession();
    });

    socket.on("session_confirm", function (confirmedId) {
      // An id the server did not sign (one from before it signed them) is replaced by a fresh one.
      if (confirmedId && confirmedId !== sessionId) { sessionId = confirmedId; save(); }
      confirmed = true;
      outbox.forEach(function (item) { item.sent = false; }); // unacknowledged: send again
      var first = !started;
      started = true;
      loadHistory().then(function (history) {
        if (history) render(history); // after a reconnect too: shows what was said while away
        if (first && history && !history.messages.length && !outbox.length) {
          // The bot opens the conversation: the visitor does not have to.
          setTyping(true);
          emit("/greet", { widget_opened: true });
        }
        flush();
      });
    });
    var joined = null; // the salesperson who last wrote, to announce a new one once
    socket.on("bot_uttered", function (message) {
      setTyping(false);
      if (message.agent_name) {
        if (joined !== message.agent_name) note(message.agent_name + " joined the chat");
        joined = message.agent_name;
        paused = true;
        show("agent", message.text, message.agent_name);
      } else if (message.text) {
        show("bot", message.text);
      }
      if (panel.hidden && message.text) setUnread(Number(badge.textContent || 0) + 1);
      if (message.handed_over) paused = true; // a person will answer: no "typing…" from the bot meanwhile
      if (message.handed_back) { paused = false; joined = null; }
      showReplies(message.quick_replies || message.buttons);
    });
    socket.on("agent_typing", function (data) {
      if (data && typeof data.agent_name === "string") setTyping(true, data.agent_name);
    });
    socket.on("disconnect", function () {
      confirmed = false;
      status.textContent = "reconnecting…";
    });
    socket.io.on("reconnect_attempt", function () { status.textContent = "reconnecting…"; });
  }

  function open() {
    setUnread(0);
    isOpen = true;
    save();
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("dsb-open");
    if (!socket) connect();
    input.focus();
  }
  function shut() {
    isOpen = false;
    save();
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("dsb-open");
    launcher.focus();
  }
  launcher.addEventListener("click", function () { panel.hidden ? open() : shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (event) { if (event.key === "Escape") shut(); });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    say(input.value);
    input.value = "";
  });
  window.addEventListener("online", function () { if (socket && !socket.connected) socket.connect(); });

  function start() {
    if (typeof io === "undefined") {
      var loader = el("script", { src: scriptOrigin + "/static/vendor/socket.io.min.js" });
      loader.onload = start;
      document.head.appendChild(loader);
      return;
    }
    save();
    if (config.open || isOpen) open(); // reopens on the next page only if the visitor left it open
  }
  start();
})();
