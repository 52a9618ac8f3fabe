// Live monitoring on the conversations pages, no build step. The page's [data-live-feed]
// is a JSON feed: `?since=<cursor>` returns only what changed, as patches of server-
// rendered HTML, and the next cursor. Polls every second while something changed in the
// last 30 s, every 1.5 s otherwise (a new message still shows within 2 s), every 5 s when
// the tab is hidden or nobody touched the page for 3 minutes, and at once on their return.
// The reply box sends with fetch and tells the server the agent is typing every 20 s.
(function () {
  "use strict";
  const ACTIVE = 1000, QUIET = 1500, IDLE = 5000, RECENT = 30000, AWAY = 180000, BEAT = 20000;
  const root = document.querySelector("[data-live-feed]");
  let changedAt = Date.now(), touchedAt = Date.now(), timer = 0, polling = false, again = false;
  let stopped = !root;
  // When the agent last told the server they are typing (reset when the takeover changes,
  // so the next keystroke after the AI resumed takes the conversation back at once).
  let beatAt = 0;

  function csrfToken() {
    const cookie = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return cookie ? decodeURIComponent(cookie[1]) : field ? field.value : "";
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", body: body || new FormData(), credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(), Accept: "application/json"},
    });
  }

  // Applies the feed's patches: {id, remove} | {id, html, into, at: "start"|"end"|"place"}.
  function apply(data) {
    let changed = false;
    for (const patch of data.patches || []) {
      const old = document.getElementById(patch.id);
      if (patch.remove) { if (old) { old.remove(); changed = true; } continue; }
      const holder = document.createElement("template");
      holder.innerHTML = patch.html.trim();
      const node = holder.content.firstElementChild;
      const same = old && old.outerHTML === node.outerHTML;
      // Only "start" moves an element (a conversation with new messages goes on top);
      // anything else already on the page is updated where it is.
      if (old && patch.at !== "start") { if (!same) { old.replaceWith(node); changed = true; } continue; }
      if (same && old === old.parentNode.firstElementChild) continue;
      const box = document.getElementById(patch.into);
      if (!box) continue;
      if (old) old.remove();
      if (patch.at === "start") box.prepend(node); else box.append(node);
      changed = true;
    }
    if (data.panel) beatAt = 0;
    for (const [id, shown] of Object.entries(data.show || {})) {
      const element = document.getElementById(id);
      if (element) element.hidden = !shown;
    }
    const rows = document.getElementById("conversation-rows");
    if (rows && root) {
      const limit = Number(root.dataset.limit || 0);
      while (limit && rows.children.length > limit) rows.lastElementChild.remove();
      for (const el of root.querySelectorAll("[data-live-table]")) el.hidden = !rows.children.length;
      for (const el of root.querySelectorAll("[data-live-empty]")) el.hidden = !!rows.children.length;
    }
    if (changed) { changedAt = Date.now(); countdown(); }
    return changed;
  }

  function delay() {
    if (document.hidden || Date.now() - touchedAt > AWAY) return IDLE;
    return Date.now() - changedAt < RECENT ? ACTIVE : QUIET;
  }

  function schedule(ms) {
    clearTimeout(timer);
    if (!stopped) timer = setTimeout(poll, ms);
  }

  async function poll() {
    if (stopped) return;
    if (polling) { again = true; return; }
    polling = true;
    try {
      const url = new URL(root.dataset.liveFeed, location.href);
      url.searchParams.set("since", root.dataset.cursor);
      const response = await fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      // Locked, gone, or signed out (redirected to the login page): stop asking.
      if ([400, 403, 404].includes(response.status) || response.redirected) { stopped = true; return; }
      if (response.ok) {
        const data = await response.json();
        root.dataset.cursor = data.cursor;
        apply(data);
      }
    } catch (error) {
      // Offline or restarting: the next poll tries again.
    } finally {
      polling = false;
      schedule(again ? 0 : delay());
      again = false;
    }
  }

  // "in 2:41" for elements carrying the seconds left until the AI resumes by itself.
  function countdown() {
    for (const el of document.querySelectorAll("[data-resumes-in]")) {
      if (!el.dataset.deadline) el.dataset.deadline = Date.now() + 1000 * Number(el.dataset.resumesIn);
      const left = Math.max(0, Math.round((Number(el.dataset.deadline) - Date.now()) / 1000));
      el.textContent = "in " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    }
  }

  const form = document.getElementById("reply-form");
  if (form) {
    const text = form.querySelector("textarea");
    const status = form.querySelector("[data-reply-status]");
    text.addEventListener("input", function () {
      if (Date.now() - beatAt < BEAT) return;
      beatAt = Date.now();
      post(form.dataset.typingUrl).then(function (r) { if (!r.ok) poll(); }, function () {});
    });
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status.textContent = "";
      try {
        const response = await post(form.action, new FormData(form));
        const data = await response.json();
        if (response.ok) { text.value = ""; beatAt = Date.now(); changedAt = Date.now(); }
        else status.textContent = data.message || "Not sent.";
      } catch (error) {
        status.textContent = "Not sent: the dashboard could not be reached. Try again.";
      }
      button.disabled = false;
      text.focus();
      poll();
    });
  }

  for (const filters of document.querySelectorAll("form[data-autosubmit]")) {
    filters.addEventListener("change", function () { filters.requestSubmit(); });
  }

  function touched() {
    const away = Date.now() - touchedAt > AWAY;
    touchedAt = Date.now();
    if (away) poll();
  }
  for (const name of ["pointermove", "keydown", "scroll", "touchstart"]) {
    addEventListener(name, touched, {passive: true});
  }
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
  setInterval(countdown, 1000);
  countdown();
  if (root) schedule(delay());
})();
