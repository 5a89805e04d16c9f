// langtutor offline: the service worker registered, the Review page's copy of the cards due
// soon (IndexedDB, their audio in Cache Storage), review from that copy when the server cannot
// be reached, and the outbox of grades given offline sent to POST /review/sync. Loaded after
// app.js, whose messages and review keys it shares (window.langtutor); without either script
// every page works as before.
"use strict";

(function () {
  const shared = window.langtutor;
  const learner = document.body.dataset.learner || "";
  const DB_NAME = "langtutor-offline";
  const PAGES = "langtutor-pages";
  const AUDIO = "langtutor-audio";
  // The API's GET /review/offline for the page: the next 3 days, up to 200 cards, with each
  // grade's interval written as the page writes it.
  const COPY_URL = "/app/review/offline";
  const LEARN_AHEAD_MS = 20 * 60 * 1000; // learning steps due this soon are shown, as online
  const BATCH = 1000; // grades per request to /review/sync (the server takes up to 10,000)

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => { /* no offline shell */ });
  }
  if (!shared || !("indexedDB" in window)) return;
  const say = shared.say;
  const FORGET = "langtutor-forget"; // set on logging out, for the page that follows

  // -- IndexedDB: the copy of the cards, the outbox of grades, who they belong to -------------
  let opened = null;
  function database() {
    if (!opened) {
      opened = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("cards", { keyPath: "card_id" });
          db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
          db.createObjectStore("meta", { keyPath: "key" });
        };
        request.onsuccess = () => {
          request.result.onversionchange = () => request.result.close();
          resolve(request.result);
        };
        request.onerror = () => reject(request.error);
      });
    }
    return opened;
  }
  // One transaction: `work` makes its requests at once; the answer is the last request's result.
  function transact(stores, mode, work) {
    return database().then((db) => new Promise((resolve, reject) => {
      const tx = db.transaction(stores, mode);
      const request = work(tx);
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    }));
  }
  const store = (tx, name) => tx.objectStore(name);

  function saveCopy(cards, generatedAt) {
    return transact(["cards", "meta"], "readwrite", (tx) => {
      store(tx, "cards").clear();
      cards.forEach((card, position) => store(tx, "cards").put(Object.assign({ position: position }, card)));
      return store(tx, "meta").put({ key: "copy", learner: learner, generated_at: generatedAt });
    });
  }
  async function copyCards() {
    const meta = await transact(["meta"], "readonly", (tx) => store(tx, "meta").get("copy"));
    if (!meta || meta.learner !== learner) return [];
    const cards = await transact(["cards"], "readonly", (tx) => store(tx, "cards").getAll());
    return cards.sort((a, b) => a.position - b.position);
  }
  // A card out of the copy (graded online): the card as it was, to put back if need be.
  function forgetCard(cardId) {
    return transact(["cards"], "readwrite", (tx) => {
      const cards = store(tx, "cards");
      const request = cards.get(cardId);
      request.onsuccess = () => { if (request.result) cards.delete(cardId); };
      return request;
    });
  }
  function keepCard(card) {
    return transact(["cards"], "readwrite", (tx) => store(tx, "cards").put(card));
  }
  async function pending() {
    const entries = await transact(["outbox"], "readonly", (tx) => store(tx, "outbox").getAll());
    return entries.filter((entry) => entry.learner === learner);
  }
  function addEntry(entry) {
    return transact(["outbox"], "readwrite", (tx) => store(tx, "outbox").add(entry));
  }
  function removeEntries(seqs) {
    return transact(["outbox"], "readwrite", (tx) => { seqs.forEach((seq) => store(tx, "outbox").delete(seq)); });
  }
  // Logging out: the learner's copy and pages leave this device; grades not yet sent stay
  // only when they could not be sent (they go when this learner signs in again).
  async function forgetLearner() {
    await transact(["cards", "meta"], "readwrite", (tx) => { store(tx, "cards").clear(); store(tx, "meta").clear(); });
    if ("caches" in window) await Promise.all([caches.delete(PAGES), caches.delete(AUDIO)]);
  }
  // Logged out: the page that follows takes the learner's copy and pages off the device (the
  // page of the logout does not wait for it). Grades not yet sent stay, for their learner.
  function storage(action) {
    try { return action(window.sessionStorage); } catch (_) { return null; } // storage off
  }
  if (!learner) {
    if (storage((s) => s.getItem(FORGET))) {
      forgetLearner().catch(() => {}).finally(() => storage((s) => s.removeItem(FORGET)));
    }
    return;
  }
  storage((s) => s.removeItem(FORGET)); // a logout that did not go through

  // The time a grade was given, with the device's offset (2026-12-04T09:30:00.000+01:00).
  function localTime(date) {
    const pad = (n, width) => String(Math.abs(n)).padStart(width || 2, "0");
    const offset = -date.getTimezoneOffset();
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) +
      "T" + pad(date.getHours()) + ":" + pad(date.getMinutes()) + ":" + pad(date.getSeconds()) +
      "." + pad(date.getMilliseconds(), 3) + (offset < 0 ? "-" : "+") +
      pad(Math.floor(Math.abs(offset) / 60)) + ":" + pad(Math.abs(offset) % 60);
  }
  // A grade's own id, which makes a second send of it harmless (randomUUID needs HTTPS or
  // localhost; elsewhere the same version 4 layout from random bytes).
  function newId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }
  function csrfToken() {
    const field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  // -- sync: the outbox to the server, on load, on reconnect and on "Sync now" ---------------
  let syncing = null;
  let waiting = 0; // grades in the outbox, as last counted
  function sync() {
    if (!syncing) {
      syncing = sendOutbox()
        .catch(() => 0) // unreachable: the grades wait for the next try
        .finally(() => { syncing = null; showWaiting(); });
    }
    return syncing;
  }
  async function sendOutbox() {
    let entries = await pending();
    const refused = [];
    let applied = 0;
    while (entries.length) {
      const batch = entries.slice(0, BATCH);
      entries = entries.slice(BATCH);
      const response = await fetch("/review/sync", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ reviews: batch.map((e) => ({
          client_review_id: e.client_review_id, card_id: e.card_id, rating: e.rating,
          reviewed_at: e.reviewed_at, duration_ms: e.duration_ms,
        })) }),
      });
      if (!response.ok) break; // a lapsed session or a server error: kept for the next try
      const seqOf = new Map(batch.map((e) => [e.client_review_id, e.seq]));
      const done = [];
      (await response.json()).results.forEach((result) => {
        if (!seqOf.has(result.client_review_id)) return;
        done.push(seqOf.get(result.client_review_id));
        if (result.status === "rejected") refused.push(result.reason || "");
        else if (result.status === "applied") applied += 1;
      });
      await removeEntries(done);
    }
    if (refused.length) tellRefused(refused);
    return applied;
  }
  async function showWaiting() {
    const bar = document.querySelector("[data-sync-bar]");
    if (!bar) return;
    const count = (await pending().catch(() => [])).length;
    waiting = count;
    bar.querySelector("[data-sync-count]").textContent = say("waitingToSync", { count: count }, count);
    bar.hidden = count === 0;
  }
  function tellRefused(reasons) {
    const banners = document.getElementById("banners");
    if (!banners) return;
    const box = document.createElement("div");
    box.className = "banner banner-error";
    box.setAttribute("role", "alert");
    box.dataset.banner = "refused";
    // The reasons are the server's, in English (the API's words): marked so.
    const why = document.createElement("span");
    why.lang = "en";
    why.textContent = Array.from(new Set(reasons.filter(Boolean))).join("; ");
    const [before, after] = say("refused", { count: reasons.length, reasons: "\u0000" }, reasons.length).split("\u0000");
    const text = document.createElement("p");
    text.append(before, why, after || "");
    box.appendChild(text);
    banners.appendChild(box);
  }

  // -- the copy: refreshed on each visit of the Review page while online -----------------------
  function audioKey(url) {
    const address = new URL(url, location.origin);
    return "/audio?text=" + encodeURIComponent(address.searchParams.get("text") || "") +
      "&lang=" + encodeURIComponent(address.searchParams.get("lang") || "");
  }
  async function refreshCopy() {
    const response = await fetch(COPY_URL, { credentials: "same-origin" });
    if (!response.ok) return;
    const copy = await response.json();
    await saveCopy(copy.cards, copy.generated_at);
    if ("caches" in window) await (await caches.open(PAGES)).add("/app/review");
    document.documentElement.dataset.offlineCopy = "ready";
    await keepAudio(copy.cards);
    document.documentElement.dataset.offlineAudio = "ready";
  }
  // Each card's audio once (speech may be off or out of allowance: then without), and no
  // audio of cards that left the copy.
  async function keepAudio(cards) {
    if (!("caches" in window)) return;
    const cache = await caches.open(AUDIO);
    const wanted = new Set();
    for (const card of cards) {
      if (!card.audio_url) continue;
      const key = audioKey(card.audio_url);
      wanted.add(new URL(key, location.origin).href);
      if (await cache.match(key)) continue;
      try {
        const response = await fetch(key, { credentials: "same-origin" });
        if (response.status === 429) break; // the learner's audio allowance: the rest next visit
        if (response.ok) await cache.put(key, response);
      } catch (_) { break; }
    }
    for (const request of await cache.keys()) {
      if (!wanted.has(request.url)) await cache.delete(request);
    }
  }

  // -- the offline review: the copy's cards due now, one at a time -----------------------------
  const area = document.getElementById("review-area");
  let session = null;
  let unsent = null; // the card of the grade being sent online, out of the copy meanwhile

  function isDue(card, now, dayEnd) {
    const due = Date.parse(card.due);
    if (card.state === "learning" || card.state === "relearning") return due <= now + LEARN_AHEAD_MS;
    return due < dayEnd;
  }
  // Days roll over at 4 a.m. (in the browser's zone, which the pages use unless the profile
  // names another).
  function dayEnd(now) {
    const end = new Date(now);
    if (end.getHours() >= 4) end.setDate(end.getDate() + 1);
    end.setHours(4, 0, 0, 0);
    return end.getTime();
  }
  async function startSession() {
    if (session) return session;
    const [cards, entries] = await Promise.all([copyCards().catch(() => []), pending().catch(() => [])]);
    const last = new Map(entries.map((e) => [e.card_id, e.rating]));
    const now = Date.now();
    const queue = cards.filter((card) => !last.has(card.card_id) && isDue(card, now, dayEnd(now)))
      .map((card) => ({ card: card, again: false }));
    // Graded Again offline before this page was loaded: once more, at the end.
    cards.filter((card) => last.get(card.card_id) === 1).forEach((card) => queue.push({ card: card, again: true }));
    session = { cards: new Map(cards.map((c) => [c.card_id, c])), queue: queue, history: [], shownAt: 0 };
    return session;
  }

  function fill(node, selector, text, lang) {
    const element = node.querySelector(selector);
    if (!text) { element.remove(); return; }
    element.textContent = text;
    if (lang) element.lang = lang;
  }
  function languageName(code) {
    try { return new Intl.DisplayNames([document.documentElement.lang || "en"], { type: "language" }).of(code); } catch (_) { return ""; }
  }
  function counts(queue) {
    const fresh = queue.filter((item) => item.card.state === "new" && !item.again).length;
    const due = queue.length - fresh;
    return say("newCount", { count: fresh }, fresh) + " · " + say("dueCount", { count: due }, due);
  }
  function cardView(item, queue) {
    const view = document.getElementById("offline-card").content.cloneNode(true);
    const card = item.card;
    const target = card.target_language || "";
    const base = card.base_language || "";
    view.querySelector("[data-left]").textContent = counts(queue);
    if (target) view.querySelector("[data-front-label]").textContent = languageName(target) || card.target_language;
    if (base) view.querySelector("[data-back-label]").textContent = languageName(base) || card.base_language;
    fill(view, "[data-front]", card.front, target);
    fill(view, "[data-back]", card.back, base);
    fill(view, "[data-example]", card.example, target);
    fill(view, "[data-example-translation]", card.example_translation, base);
    const play = view.querySelector("button[data-speak]");
    if (card.audio_url) {
      const address = new URL(card.audio_url, location.origin);
      play.dataset.speak = address.searchParams.get("text") || card.front;
      play.dataset.lang = address.searchParams.get("lang") || target;
      play.setAttribute("aria-label", say("listenCard", { text: card.front }));
    } else play.remove();
    view.querySelectorAll("[data-grade]").forEach((button) => {
      const interval = item.again ? "" : (card.interval_labels || {})[button.dataset.grade] || "";
      button.querySelector(".interval").textContent = interval;
      button.setAttribute("aria-label", interval ? say("gradeNext", { grade: button.dataset.label, interval: interval }) : button.dataset.label);
    });
    return view;
  }
  function render() {
    const item = session.queue[0];
    const view = item ? cardView(item, session.queue) : document.getElementById("offline-done").content.cloneNode(true);
    view.querySelector("[data-offline-review]").setAttribute(item ? "data-review" : "data-review-done", "");
    view.appendChild(document.getElementById("offline-undo").content.cloneNode(true));
    area.replaceChildren(view);
    session.shownAt = Date.now();
    const box = area.querySelector("[data-review]");
    if (box) { shared.setupReview(box); shared.autoplay(area); }
    area.querySelector("h1").focus();
    showWaiting();
  }

  // A grade: into the outbox with its own id and time; Again brings the card back at the end.
  async function grade(cardId, rating, durationMs) {
    if (session.busy) return;
    session.busy = true;
    try {
      const seq = await addEntry({
        learner: learner, client_review_id: newId(), card_id: cardId, rating: rating,
        reviewed_at: localTime(new Date()), duration_ms: durationMs,
      });
      session.history.push({ seq: seq, queue: session.queue.slice() });
      const at = session.queue.findIndex((item) => item.card.card_id === cardId);
      const item = at >= 0 ? session.queue.splice(at, 1)[0] : null;
      if (rating === 1 && item) session.queue.push({ card: item.card, again: true });
    } finally {
      session.busy = false;
    }
    render();
  }
  // Undo: the last grade not yet sent leaves the outbox, and its card is shown again.
  async function undo() {
    if (session.busy) return;
    session.busy = true;
    let last = null;
    try {
      const entries = await pending();
      last = entries[entries.length - 1];
      if (last) await removeEntries([last.seq]);
    } finally {
      session.busy = false;
    }
    if (!last) return;
    const step = session.history[session.history.length - 1];
    if (step && step.seq === last.seq) {
      session.history.pop();
      session.queue = step.queue;
    } else if (session.cards.has(last.card_id)) {
      session.queue = session.queue.filter((item) => item.card.card_id !== last.card_id);
      session.queue.unshift({ card: session.cards.get(last.card_id), again: false });
    }
    render();
  }

  // The server's own card when the connection went: its grade or undo is taken over here.
  async function takeOver(form, submitter) {
    // The card whose grade did not reach the server is the copy's again.
    const card = await (unsent || Promise.resolve(null)).catch(() => null);
    unsent = null;
    if (card) await keepCard(card);
    await startSession();
    if (form.matches("[data-grades]") && submitter && submitter.value) {
      const cardId = Number(form.action.split("/").pop());
      await grade(cardId, Number(submitter.value), null);
    } else if (form.matches("[data-undo]")) await undo();
    else render();
  }
  const reviewForm = (form) => area && area.contains(form) && form.matches("[data-grades], [data-undo]");

  function wireReview() {
    document.addEventListener("submit", (event) => {
      const form = event.target;
      if (!reviewForm(form)) return;
      if (navigator.onLine && !session) {
        // Graded online: the copy no longer offers this card today (unless the grade fails).
        unsent = form.matches("[data-grades]") ? forgetCard(Number(form.action.split("/").pop())) : null;
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
      takeOver(form, event.submitter).catch(() => {});
    }, true);
    document.addEventListener("langtutor:unreachable", (event) => {
      if (!reviewForm(event.target)) return;
      event.preventDefault();
      takeOver(event.target, event.detail.submitter).catch(() => {});
    });
    area.addEventListener("click", (event) => {
      if (!session || !event.target.closest) return;
      const button = event.target.closest("[data-grade], [data-undo] button");
      if (!button || button.closest("form")) return;
      event.preventDefault();
      if (button.dataset.grade) {
        const cardId = session.queue[0] && session.queue[0].card.card_id;
        if (cardId) grade(cardId, Number(button.dataset.grade), Math.min(Date.now() - session.shownAt, 86400000)).catch(() => {});
      } else undo().catch(() => {});
    });
  }

  // Back online: the grades go, then the server's queue takes over again.
  async function backOnline() {
    await sync();
    try {
      if (!session || !area || (await pending()).length) return;
      const response = await fetch("/app/review", { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) return;
      area.innerHTML = await response.text(); // our own server's autoescaped fragment
      session = null;
      shared.enhance(area);
      refreshCopy().catch(() => {});
    } catch (_) { /* still unreachable: on with the copy */ }
  }

  // -- wiring -----------------------------------------------------------------------------------
  const syncButton = document.querySelector("[data-sync-now]");
  if (syncButton) syncButton.addEventListener("click", () => { syncButton.disabled = true; backOnline().finally(() => { syncButton.disabled = false; }); });
  window.addEventListener("online", backOnline);
  // Logging out: grades waiting are sent first (online), then out; the next page forgets.
  document.querySelectorAll("form[action='/app/logout']").forEach((form) => {
    form.addEventListener("submit", (event) => {
      storage((s) => s.setItem(FORGET, "1"));
      if (form.dataset.sent || !navigator.onLine || !waiting) return;
      event.preventDefault();
      sync().finally(() => { form.dataset.sent = "true"; form.requestSubmit(); });
    });
  });
  const onReview = area && document.getElementById("offline-card");
  if (onReview) wireReview();
  if (onReview && !navigator.onLine) startSession().then(render).catch(() => {});
  else {
    sync().then(() => (onReview ? refreshCopy() : null)).catch(() => { /* offline: the copy as it is */ });
  }
})();
