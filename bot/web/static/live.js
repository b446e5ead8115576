/* The live inbox: news pushed by the web app (/inbox/events, Server-Sent Events), no polling.
   Brief list: a new brief appears on the first page, and each brief counts its visitor's unread messages;
   the tab title counts the briefs with news; each visitor shows as on the page now or last seen; the waiting
   section and each brief's status and holder follow what visitors and salespeople do. Brief page: the
   visitor's new messages appear as they arrive.
   Everything a visitor wrote is set with textContent only. */
(function () {
  "use strict";
  var table = document.querySelector("table.briefs");
  var briefPage = document.getElementById("live-log");
  var baseTitle = document.title.replace(/^\(\d+\) /, "");
  var source = new EventSource("/inbox/events");

  function badgeOf(row) { return row.querySelector(".unread"); }
  function setCount(badge, count) {
    badge.textContent = String(count);
    badge.setAttribute("aria-label", count + " unread");
    badge.hidden = count === 0;
  }
  function rowsOf(briefId) {
    return Array.prototype.slice.call(document.querySelectorAll('[data-brief="' + briefId + '"]'));
  }
  function updateTitle() {
    var news = {};
    document.querySelectorAll("[data-brief]").forEach(function (row) {
      var badge = badgeOf(row);
      if (row.classList.contains("new") || (badge && !badge.hidden)) news[row.dataset.brief] = true;
    });
    var count = Object.keys(news).length;
    document.title = (count ? "(" + count + ") " : "") + baseTitle;
  }
  function cell(text, small) {
    var td = document.createElement("td");
    td.appendChild(document.createTextNode(text || ""));
    if (small) {
      td.appendChild(document.createElement("br"));
      var note = document.createElement("small");
      note.textContent = small;
      td.appendChild(note);
    }
    return td;
  }
  // Browser notifications, when the salesperson turned them on (the inbox's "Notify me" button) and is
  // looking elsewhere: a new brief, or a visitor writing after the handoff.
  var notifyButton = document.getElementById("notify-me");
  function notificationsOn() { return "Notification" in window && Notification.permission === "granted"; }
  function showNotifyButton() {
    if (!notifyButton) return;
    notifyButton.hidden = !("Notification" in window) || Notification.permission !== "default";
  }
  if (notifyButton) {
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(showNotifyButton);
    });
    showNotifyButton();
  }
  function notify(title, body, briefId) {
    if (!notificationsOn() || (!document.hidden && document.hasFocus())) return;
    var shown = new Notification(title, { body: body, tag: "brief-" + briefId });
    shown.onclick = function () { window.focus(); window.location.href = "/inbox/briefs/" + briefId; };
  }

  function addBrief(brief) {
    if (!table || table.dataset.live !== "yes" || rowsOf(brief.id).length) return;
    var contact = brief.contact || {};
    var row = document.createElement("tr");
    row.dataset.brief = brief.id;
    row.className = "new";
    var first = document.createElement("td");
    var link = document.createElement("a");
    link.href = "/inbox/briefs/" + brief.id;
    link.textContent = "#" + brief.id;
    first.appendChild(link);
    var badge = document.createElement("span");
    badge.className = "unread";
    setCount(badge, 0);
    first.appendChild(badge);
    var fresh = document.createElement("span");
    fresh.className = "fresh";
    fresh.textContent = "new";
    first.appendChild(fresh);
    row.appendChild(first);
    var received = document.createElement("td");
    var time = document.createElement("time");
    time.dateTime = brief.created_at;
    received.appendChild(time);
    row.appendChild(received);
    row.appendChild(cell(contact.name || contact.email || "Anonymous", contact.company || ""));
    row.appendChild(cell(brief.struggle ? "\u201c" + brief.struggle + "\u201d" : ""));
    row.appendChild(cell(brief.handoff_reason === "visitor_requested_human" ? "asked for a person"
                                                                          : (brief.buying_stage || "").replace(/_/g, " ")));
    row.appendChild(cell(brief.status));
    var body = table.tBodies[0];
    var empty = body.querySelector("td[colspan]");
    if (empty) empty.parentNode.remove();
    body.insertBefore(row, body.firstChild);
    tick();
    updateTitle();
  }
  // The waiting section (first page only): a visitor who asks for a person or writes after the handoff joins it,
  // longest waiting first; an answer from a salesperson, or a brief closed, takes them out.
  var OPEN = ["new", "claimed"];
  function addWaiting(briefId, reason, since) {
    if (!table || table.dataset.live !== "yes") return;
    var section = document.querySelector("section.waiting");
    if (section && section.querySelector('[data-brief="' + briefId + '"]')) return;
    if (!section) {
      section = document.createElement("section");
      section.className = "waiting";
      section.setAttribute("aria-labelledby", "waiting-title");
      var title = document.createElement("h2");
      title.id = "waiting-title";
      title.textContent = "Waiting for a person";
      section.appendChild(title);
      section.appendChild(document.createElement("ul"));
      var views = document.querySelector("nav.views");
      views.parentNode.insertBefore(section, views);
    }
    var row = table.querySelector('tr[data-brief="' + briefId + '"]');
    var line = document.createElement("li");
    line.dataset.brief = briefId;
    var link = document.createElement("a");
    link.href = "/inbox/briefs/" + briefId;
    link.textContent = "#" + briefId;
    line.appendChild(link);
    var badge = document.createElement("span");
    badge.className = "unread";
    setCount(badge, row && badgeOf(row) ? parseInt(badgeOf(row).textContent, 10) || 0 : 0);
    line.appendChild(badge);
    var who = row ? row.cells[2].firstChild.textContent.trim() + ": " + row.cells[3].textContent.trim() : "";
    line.appendChild(document.createTextNode(" " + (who ? who + " \u00b7 " : "") + reason + " \u00b7 "));
    var timer = document.createElement("strong");
    timer.className = "waited";
    timer.dataset.since = since;
    line.appendChild(timer);
    section.querySelector("ul").appendChild(line);
    tick();
  }
  function stopWaiting(briefId) {
    var section = document.querySelector("section.waiting");
    var line = section && section.querySelector('[data-brief="' + briefId + '"]');
    if (!line) return;
    line.remove();
    if (!section.querySelector("li")) section.remove();
    updateTitle();
  }
  // A colleague (or this salesperson in another tab) claimed, released, gave away, answered or closed a brief.
  function worked(update) {
    rowsOf(update.brief_id).forEach(function (row) {
      if (row.tagName !== "TR") return;
      var cell = row.cells[5];
      cell.textContent = "";
      var status = document.createElement("span");
      status.className = "status status-" + update.status;
      status.textContent = update.status;
      cell.appendChild(status);
      if (update.claimed_by) {
        cell.appendChild(document.createElement("br"));
        var holder = document.createElement("small");
        holder.textContent = update.claimed_by;
        cell.appendChild(holder);
      }
    });
    if (update.kind === "message" || OPEN.indexOf(update.status) < 0) stopWaiting(update.brief_id);
  }
  function visitorWrote(briefId) {
    rowsOf(briefId).forEach(function (row) {
      var badge = badgeOf(row);
      if (badge) setCount(badge, (parseInt(badge.textContent, 10) || 0) + 1);
    });
    updateTitle();
    if (briefPage && briefPage.dataset.brief === String(briefId)) document.dispatchEvent(new Event("visitor-wrote"));
  }
  function read(briefId) {
    rowsOf(briefId).forEach(function (row) {
      var badge = badgeOf(row);
      if (badge) setCount(badge, 0);
      row.classList.remove("new");
    });
    updateTitle();
  }

  // How long each waiting visitor has waited, in the words the server uses (bot.sales.inbox.waited), kept
  // current by the page's own clock.
  function waited(since) {
    var minutes = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 60000));
    if (minutes < 60) return minutes + " min";
    if (minutes < 48 * 60) return Math.floor(minutes / 60) + " h";
    return Math.floor(minutes / (24 * 60)) + " days";
  }
  // When each brief came, as "5 min ago", with the exact time in the salesperson's own time zone on hover.
  function ago(when) {
    var minutes = Math.floor((Date.now() - Date.parse(when)) / 60000);
    if (minutes < 1) return "just now";
    if (minutes < 60) return minutes + " min ago";
    if (minutes < 24 * 60) return Math.floor(minutes / 60) + " h ago";
    if (minutes < 48 * 60) return "yesterday";
    if (minutes < 7 * 24 * 60) return Math.floor(minutes / (24 * 60)) + " days ago";
    return new Date(when).toLocaleDateString(undefined, { dateStyle: "medium" });
  }
  // Whether each brief's visitor is on the page now, or when they were last there (the server's words,
  // bot.sales.live.seen_words).
  function seenWords(online, lastSeen) {
    if (online) return "on the page now";
    return Date.now() - Date.parse(lastSeen) < 60000 ? "last seen just now" : "last seen " + waited(lastSeen) + " ago";
  }
  function presence(briefId, online, lastSeen) {
    rowsOf(briefId).forEach(function (row) {
      var note = row.querySelector(".presence");
      if (!note) { // never seen before: in the Who column, after the waiting line, or under the brief's name
        note = document.createElement("small");
        var place = row.tagName === "TR" ? row.cells[2] : row;
        if (row.tagName === "TR") place.appendChild(document.createElement("br"));
        if (row.tagName === "LI") place.appendChild(document.createTextNode(" \u00b7 "));
        place.appendChild(note);
      }
      note.className = "presence" + (online ? " online" : "");
      note.dataset.lastSeen = lastSeen;
      note.textContent = seenWords(online, lastSeen);
    });
  }
  function tick() {
    document.querySelectorAll(".waited[data-since]").forEach(function (timer) {
      timer.textContent = "waiting " + waited(timer.dataset.since);
    });
    document.querySelectorAll(".presence[data-last-seen]:not(.online)").forEach(function (note) {
      note.textContent = seenWords(false, note.dataset.lastSeen);
    });
    document.querySelectorAll("table.briefs time[datetime]").forEach(function (time) {
      time.textContent = ago(time.dateTime);
      time.title = new Date(time.dateTime).toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
    });
  }
  setInterval(tick, 30000);

  // Keyboard shortcuts on the brief list: j / k next and previous brief, Enter opens it, / searches, ? lists them.
  var help = document.getElementById("shortcuts");
  function rows() { return table ? Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-brief]")) : []; }
  function select(step) {
    var all = rows();
    if (!all.length) return;
    var at = all.indexOf(table.querySelector("tr.selected"));
    var next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step))];
    all.forEach(function (row) { row.classList.remove("selected"); });
    next.classList.add("selected");
    next.querySelector("a").focus();
  }
  document.addEventListener("keydown", function (event) {
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if (typing || event.ctrlKey || event.metaKey || event.altKey || !table) return;
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      select(event.key === "j" ? 1 : -1);
    } else if (event.key === "/") {
      event.preventDefault();
      document.querySelector('input[type="search"]').focus();
    } else if (event.key === "?" && help) {
      event.preventDefault();
      if (help.open) help.close(); else help.showModal();
    }
  });

  source.addEventListener("brief", function (event) {
    var brief = JSON.parse(event.data);
    addBrief(brief);
    if (brief.handoff_reason === "visitor_requested_human") addWaiting(brief.id, "asked for a person", brief.created_at);
    notify("New brief #" + brief.id, brief.struggle || "A visitor was handed over.", brief.id);
  });
  source.addEventListener("message", function (event) {
    var wrote = JSON.parse(event.data), briefId = wrote.brief_id;
    if (OPEN.indexOf(wrote.status) >= 0) addWaiting(briefId, "wrote after the handoff", new Date(wrote.at * 1000).toISOString());
    visitorWrote(briefId);
    notify("Brief #" + briefId + ": the visitor wrote", "Open the brief to answer them.", briefId);
  });
  source.addEventListener("read", function (event) { read(JSON.parse(event.data).brief_id); });
  source.addEventListener("update", function (event) { worked(JSON.parse(event.data)); });
  source.addEventListener("presence", function (event) {
    var seen = JSON.parse(event.data);
    presence(seen.brief_id, seen.online, seen.last_seen);
  });
  // After a lost connection the browser reconnects by itself; the brief page then catches up once.
  source.addEventListener("open", function () { document.dispatchEvent(new Event("live-open")); });
  tick();
  updateTitle();
})();
