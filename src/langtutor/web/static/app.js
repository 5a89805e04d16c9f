// langtutor's page script: plain JavaScript, no build step, loaded from our own origin only
// (the Content-Security-Policy forbids inline code). Every page works without it; with it,
// forms marked data-async are sent with fetch and the server's HTML fragment is swapped in.
"use strict";

(function () {
  // The learner's day (streak, goal, review day, progress) is counted in the browser's zone
  // unless their profile names one; the server decodes this URL-encoded name.
  try {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone) document.cookie = "langtutor_tz=" + encodeURIComponent(zone) + "; path=/; SameSite=Lax";
  } catch (_) { /* an old browser: UTC it is */ }

  // -- forms sent with fetch --------------------------------------------------------------
  async function sendForm(form, submitter) {
    const target = document.getElementById(form.dataset.target);
    const progress = form.dataset.progress && document.getElementById(form.dataset.progress);
    const buttons = Array.from(form.querySelectorAll("button[type=submit], button:not([type])"));
    const body = new FormData(form);
    if (submitter && submitter.name) body.append(submitter.name, submitter.value);
    buttons.forEach((b) => { b.disabled = true; });
    document.querySelectorAll("button.retry").forEach((b) => { b.disabled = true; });
    if (progress) progress.hidden = false;
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
      const html = await response.text();
      if (target) {
        target.innerHTML = html; // our own server's autoescaped template output
        enhance(target);
        markFields(form, target);
        foldCreateForm(form, target);
        // Saved once: the form's fields and button give way to "Saved ✓ · Edit label".
        if (form.hasAttribute("data-save-form") && target.querySelector("[data-saved-item]")) {
          form.querySelectorAll(".field, button[type=submit]").forEach((el) => { el.hidden = true; });
        }
        const heading = target.querySelector("[tabindex='-1']");
        if (heading) heading.focus();
        else if (!response.ok) {
          const alert = target.querySelector("[role=alert]");
          if (alert) alert.scrollIntoView({ block: "nearest" });
        }
      }
    } catch (error) {
      if (target) {
        target.innerHTML = "";
        const box = document.createElement("div");
        box.className = "banner banner-error";
        box.setAttribute("role", "alert");
        box.textContent = "The server could not be reached. Check your connection and try again.";
        target.appendChild(box);
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      if (progress) progress.hidden = true;
      form.removeAttribute("aria-busy");
    }
  }

  // -- study progress: where Continue comes back to, and a finished set ---------------------
  function studyRecorder(box) {
    const token = document.querySelector("input[name=csrf_token]");
    let last = 0;
    return function record(position, finished, score) {
      if (!token || !(box.dataset.savedContentId || box.dataset.generationId)) return;
      const now = Date.now();
      if (!finished && now - last < 4000) return; // one note every few seconds is plenty
      last = now;
      const body = new FormData();
      body.append("csrf_token", token.value);
      if (box.dataset.savedContentId) body.append("saved_content_id", box.dataset.savedContentId);
      else body.append("generation_id", box.dataset.generationId);
      body.append("position", String(position));
      if (finished) body.append("finished", "true");
      if (score !== undefined && score !== null) body.append("score", String(score));
      fetch("/app/studied", { method: "POST", body: body, credentials: "same-origin", keepalive: true,
        headers: { "X-Requested-With": "fetch" } }).catch(() => { /* progress is a nicety */ });
    };
  }

  // After a result, the Create form folds to one line and the result takes the screen;
  // without one (a refusal, a failure) the line no longer names the previous request.
  function foldCreateForm(form, target) {
    const details = form.closest("[data-create-form]");
    if (!details) return;
    const heading = target.querySelector("[data-summary]");
    const line = details.querySelector(".summary-text");
    line.textContent = heading ? heading.dataset.summary : line.dataset.empty;
    if (heading) details.open = false;
  }

  // -- a refused form: each problem next to its field, as the server marks a whole page ----
  // The server's summary lists the problems as links to their fields ([data-error-field]).
  function markFields(form, target) {
    form.querySelectorAll(".field-error").forEach((old) => old.remove());
    form.querySelectorAll("[aria-invalid]").forEach((field) => {
      field.removeAttribute("aria-invalid");
      const ids = (field.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("-error"));
      if (ids.length) field.setAttribute("aria-describedby", ids.join(" "));
      else field.removeAttribute("aria-describedby");
    });
    target.querySelectorAll("[data-error-field]").forEach((link) => {
      const name = link.dataset.errorField;
      const fields = Array.from(form.querySelectorAll("[name='" + CSS.escape(name) + "']"));
      if (!fields.length) return;
      const note = document.createElement("p");
      note.className = "field-error";
      note.id = name + "-error";
      note.textContent = link.textContent;
      (fields[0].closest(".field, fieldset") || fields[0].parentElement).appendChild(note);
      fields.forEach((field) => {
        field.setAttribute("aria-invalid", "true");
        const ids = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        field.setAttribute("aria-describedby", ids.concat(note.id).join(" "));
      });
    });
  }

  // A summary's link takes the learner to the field, ready to type.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-error-field]");
    if (!link) return;
    const name = link.dataset.errorField;
    const field = document.querySelector("input[name='" + CSS.escape(name) + "']:not([type=hidden]), select[name='" + CSS.escape(name) + "'], textarea[name='" + CSS.escape(name) + "']");
    if (!field) return;
    event.preventDefault();
    const details = field.closest("details");
    if (details) details.open = true;
    field.focus();
    const label = field.closest(".field, fieldset") || field;
    label.scrollIntoView({ block: "center" });
  });

  // The rate limit: count down, then let the learner generate again.
  function countDown(box) {
    const button = document.getElementById("generate-button");
    let left = Number(box.dataset.retryAfter);
    if (!(left > 0)) return;
    // After the form's own handler has re-enabled its buttons.
    setTimeout(() => { if (button && left > 0) button.disabled = true; }, 0);
    const timer = setInterval(() => {
      left -= 1;
      if (left <= 0) {
        clearInterval(timer);
        box.textContent = "a moment: you can generate again now";
        if (button) button.disabled = false;
        return;
      }
      box.textContent = left + (left === 1 ? " second" : " seconds");
    }, 1000);
  }

  // -- flashcards -------------------------------------------------------------------------
  function setupDeck(deck) {
    const cards = Array.from(deck.querySelectorAll("[data-card]"));
    const counter = deck.querySelector("[data-counter]");
    const end = deck.querySelector("[data-deck-end]");
    const nav = deck.querySelector(".deck-nav");
    const record = studyRecorder(deck);
    let current = Math.min(Number(deck.dataset.start || 0), cards.length - 1);
    let finished = false;
    function flip(slot) {
      const button = slot.querySelector("[data-flip]");
      const front = slot.querySelector(".front");
      const back = slot.querySelector(".back");
      const flipped = back.hidden;
      back.hidden = !flipped;
      front.hidden = flipped;
      button.setAttribute("aria-pressed", String(flipped));
    }
    function show(index) {
      if (index >= cards.length) { finish(); return; }
      current = Math.max(0, index);
      finished = false;
      if (end) end.hidden = true;
      nav.hidden = false;
      cards.forEach((slot, i) => { slot.hidden = i !== current; });
      counter.textContent = "Card " + (current + 1) + " of " + cards.length;
      record(current, false);
      autoplay(deck);
    }
    function finish() {
      if (!end) { show(0); return; }
      finished = true;
      cards.forEach((slot) => { slot.hidden = true; });
      nav.hidden = true;
      end.hidden = false;
      counter.textContent = "All " + cards.length + " cards done";
      end.focus();
      record(cards.length - 1, true);
    }
    cards.forEach((slot) => slot.querySelector("[data-flip]").addEventListener("click", (event) => {
      if (deck.swiped) { deck.swiped = false; event.preventDefault(); return; }
      flip(slot);
    }));
    deck.querySelector("[data-prev]").addEventListener("click", () => show(current - 1));
    deck.querySelector("[data-next]").addEventListener("click", () => show(current + 1));
    deck.querySelector("[data-flip-current]").addEventListener("click", () => flip(cards[current]));
    const restart = deck.querySelector("[data-restart]");
    if (restart) restart.addEventListener("click", () => { show(0); cards[0].querySelector("[data-flip]").focus(); });
    const saveLink = deck.querySelector("[data-save-link]");
    if (saveLink) saveLink.addEventListener("click", (event) => {
      const heading = document.getElementById("save-heading");
      if (!heading) return;
      event.preventDefault();
      heading.scrollIntoView({ block: "center" });
      heading.focus();
    });
    // Swipe left for the next card, right for the previous one.
    let startX = null;
    deck.addEventListener("pointerdown", (event) => { if (event.pointerType !== "mouse") startX = event.clientX; });
    deck.addEventListener("pointerup", (event) => {
      if (startX === null || finished) return;
      const dx = event.clientX - startX;
      startX = null;
      if (Math.abs(dx) < 50) return;
      deck.swiped = true;
      setTimeout(() => { deck.swiped = false; }, 400);
      show(dx < 0 ? current + 1 : current - 1);
    });
    deck.deckKeys = function (event) {
      if (finished) return false;
      if (event.key === " " || event.key === "Spacebar") { flip(cards[current]); return true; }
      if (event.key === "ArrowRight") { show(current + 1); return true; }
      if (event.key === "ArrowLeft") { show(current - 1); return true; }
      return false;
    };
  }

  document.addEventListener("keydown", (event) => {
    const deck = document.querySelector("[data-deck]");
    if (!deck || !deck.deckKeys || event.altKey || event.ctrlKey || event.metaKey) return;
    const where = event.target;
    const typing = where.closest && where.closest("input, textarea, select, [contenteditable]");
    // Space on a focused button presses that button; the card's own button flips by click.
    const onButton = where.closest && where.closest("button, a, summary");
    if (typing || (event.key === " " && onButton)) return;
    if (deck.deckKeys(event)) event.preventDefault();
  });

  // -- review -----------------------------------------------------------------------------
  // Front first; Space or Enter shows the answer; 1–4 grade; U undoes the last review.
  function setupReview(box) {
    const answer = box.querySelector("[data-answer]");
    const grades = box.querySelector("[data-grades]");
    const show = box.querySelector("[data-show]");
    const duration = box.querySelector("[data-duration]");
    const shownAt = Date.now();
    function reveal() {
      if (!answer || !answer.hidden) return;
      answer.hidden = false;
      if (grades) grades.hidden = false;
      if (show) show.parentElement.hidden = true;
      const good = box.querySelector("[data-grade='3']");
      if (good) good.focus();
    }
    if (show) show.addEventListener("click", (event) => { event.preventDefault(); reveal(); });
    if (grades && duration) grades.addEventListener("submit", () => { duration.value = String(Date.now() - shownAt); }, true);
    box.reviewKeys = function (event) {
      if (event.key === " " || event.key === "Spacebar" || event.key === "Enter") {
        if (answer && answer.hidden) { reveal(); return true; }
        return false;
      }
      if (/^[1-4]$/.test(event.key) && answer && !answer.hidden) {
        const button = box.querySelector("[data-grade='" + event.key + "']");
        if (button && !button.disabled) { button.click(); return true; }
      }
      if (event.key === "u" || event.key === "U") {
        const undo = document.querySelector("[data-undo] button");
        if (undo && !undo.disabled) { undo.click(); return true; }
      }
      return false;
    };
  }

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const where = event.target;
    if (where.closest && where.closest("input, textarea, select, [contenteditable]")) return;
    const box = document.querySelector("[data-review]");
    if (box && box.reviewKeys) {
      // Enter or Space on a focused control presses it, as ever.
      if ((event.key === "Enter" || event.key === " ") && where.closest && where.closest("button, a, summary")) return;
      if (box.reviewKeys(event)) event.preventDefault();
    } else if (event.key === "u" || event.key === "U") {
      const undo = document.querySelector("[data-review-done]") && document.querySelector("[data-undo] button");
      if (undo) { undo.click(); event.preventDefault(); }
    }
  });

  // The number of cards to review, on the navigation's Review link.
  async function showDueBadge() {
    const badge = document.querySelector("[data-due-badge]");
    if (!badge) return;
    try {
      const response = await fetch("/review/queue?limit=1", { credentials: "same-origin" });
      if (!response.ok) return;
      const queue = await response.json();
      const count = queue.due_count + queue.new_count;
      badge.textContent = String(count);
      badge.hidden = count === 0;
      const link = document.querySelector("[data-review-link]");
      if (link) link.setAttribute("aria-label", "Review, " + count + " " + (count === 1 ? "card" : "cards") + " to study");
    } catch (_) { /* offline: no badge */ }
  }

  // -- exercises: checked by the server -------------------------------------------------
  function setupExercises(box) {
    const score = box.querySelector("[data-score]");
    const total = Number(score.dataset.total);
    const results = new Map();
    const record = studyRecorder(box);

    function showScore() {
      const values = Array.from(results.values());
      const points = values.reduce((sum, r) => sum + r.score, 0);
      const count = (verdict) => values.filter((r) => r.verdict === verdict).length;
      const parts = count("correct") + " right, " + count("almost") + " almost, " + count("wrong") + " wrong";
      score.textContent = values.length === total
        ? "Finished: " + parts + ". Score " + Math.round((100 * points) / total) + "%."
        : "So far: " + parts + " (" + values.length + " of " + total + " checked).";
      record(values.length, values.length === total, values.length === total ? points / total : null);
    }

    function mark(form, result) {
      const expected = result.dataset.expected;
      form.querySelectorAll("label.choice").forEach((label) => {
        const input = label.querySelector("input");
        if (input.value === expected) label.classList.add("is-right");
        else if (input.checked) label.classList.add("is-wrong");
      });
      const typed = form.querySelector("input[name=answer]:not([type=radio])");
      if (typed) typed.classList.add("is-" + result.dataset.verdict);
      form.querySelector("fieldset").disabled = true;
      form.querySelector("button[type=submit]").hidden = true;
    }

    box.querySelectorAll("form[data-check]").forEach((form) => {
      const target = document.getElementById(form.dataset.target);
      const button = form.querySelector("button[type=submit]");
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const chosen = form.querySelector("input[name=answer]:checked, input[name=answer]:not([type=radio])");
        if (!chosen || !chosen.value.trim()) {
          target.innerHTML = "";
          const note = document.createElement("p");
          note.className = "verdict wrong";
          note.textContent = "Choose or type an answer first.";
          target.appendChild(note);
          return;
        }
        button.disabled = true;
        form.setAttribute("aria-busy", "true");
        try {
          const response = await fetch(form.action, {
            method: "POST",
            body: new FormData(form),
            credentials: "same-origin",
            headers: { "X-Requested-With": "fetch" },
          });
          target.innerHTML = await response.text(); // our own server's autoescaped fragment
          enhance(target);
          const result = target.querySelector("[data-result]");
          if (result) {
            results.set(form.dataset.target, { score: Number(result.dataset.points), verdict: result.dataset.verdict });
            mark(form, result);
            showScore();
          }
        } catch (_) {
          target.textContent = "The server could not be reached. Check your connection and try again.";
        } finally {
          button.disabled = false;
          form.removeAttribute("aria-busy");
        }
      });
    });
  }

  // -- conversations: the reply streams in as the model writes it ------------------------
  function setupChat(form) {
    const id = form.dataset.chat;
    const log = document.querySelector("[data-chat-log]");
    const status = form.querySelector("[data-chat-status]");
    const field = form.querySelector("textarea");
    const button = form.querySelector("button[type=submit]");
    const token = form.querySelector("input[name=csrf_token]").value;

    function bubble(kind, who, text) {
      const item = document.createElement("li");
      item.className = "line " + (kind === "learner" ? "right learner-line" : "left model-line");
      const speaker = document.createElement("span");
      speaker.className = "speaker";
      speaker.textContent = who;
      const said = document.createElement("p");
      said.className = "said";
      said.lang = form.dataset.target;
      said.textContent = text;
      item.append(speaker, said);
      log.appendChild(item);
      return said;
    }

    async function refresh() {
      const response = await fetch(location.pathname + "?fragment=turns", { credentials: "same-origin" });
      if (response.ok) {
        log.innerHTML = await response.text(); // our own server's autoescaped fragment
        enhance(log);
      }
    }

    async function send() {
      const text = field.value.trim();
      if (!text) { status.textContent = "Type your line first."; return; }
      button.disabled = true;
      status.textContent = "";
      bubble("learner", form.dataset.learnerRole + " (you)", text);
      const reply = bubble("model", "…", "");
      reply.parentElement.setAttribute("aria-busy", "true");
      field.value = "";
      try {
        const response = await fetch("/conversations/" + id + "/turns", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRF-Token": token },
          body: JSON.stringify({ text: text }),
        });
        if (!response.ok) {
          const problem = await response.json().catch(() => ({}));
          throw new Error(typeof problem.detail === "string" ? problem.detail : "The line could not be sent.");
        }
        const reader = response.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const kind = (block.match(/^event: (.*)$/m) || [])[1];
            const data = JSON.parse((block.match(/^data: (.*)$/m) || [])[1] || "{}");
            if (kind === "reply") reply.textContent = data.replace !== undefined ? data.replace : reply.textContent + data.text;
            else if (kind === "retry") reply.textContent = "";
            else if (kind === "error") throw new Error(data.detail);
            else if (kind === "turn") await refresh();
          }
        }
      } catch (error) {
        field.value = text; // nothing is lost
        reply.parentElement.remove();
        log.lastElementChild && log.lastElementChild.remove();
        status.textContent = error.message || "The server could not be reached.";
      } finally {
        button.disabled = false;
        field.focus();
      }
    }

    form.addEventListener("submit", (event) => { event.preventDefault(); send(); });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(); }
    });
  }

  // -- listening: a play button reads its text; R plays the card in view ---------------
  let playing = null;
  function play(button) {
    if (playing) playing.pause();
    const url = "/audio?text=" + encodeURIComponent(button.dataset.speak) + "&lang=" + encodeURIComponent(button.dataset.lang);
    playing = new Audio(url);
    button.setAttribute("aria-busy", "true");
    const done = () => button.removeAttribute("aria-busy");
    playing.addEventListener("ended", done);
    playing.addEventListener("error", done);
    playing.play().catch(done);
  }
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("button[data-speak]");
    if (button) { event.preventDefault(); event.stopPropagation(); play(button); }
  }, true);
  document.addEventListener("keydown", (event) => {
    if (event.key !== "r" && event.key !== "R") return;
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const where = event.target;
    if (where.closest && where.closest("input, textarea, select, [contenteditable]")) return;
    // The card in view (a deck's current card, the review card), else the first on the page.
    const visible = Array.from(document.querySelectorAll("button[data-speak]")).find((b) => b.offsetParent !== null);
    if (visible) { play(visible); event.preventDefault(); }
  });
  // Autoplay only when the learner turned it on: a deck's card as it comes into view.
  function autoplay(root) {
    if (document.body.dataset.autoplay !== "true") return;
    const first = Array.from(root.querySelectorAll("[data-card] button[data-speak], [data-review] button[data-speak]")).find((b) => b.offsetParent !== null);
    if (first) play(first);
  }

  // -- toggles (translations) ------------------------------------------------------------
  function setupToggle(button) {
    const target = document.getElementById(button.dataset.toggle);
    const label = button.firstChild;
    button.addEventListener("click", () => {
      const open = target.hidden;
      target.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      label.textContent = open ? "Hide translation" : "Show translation";
    });
  }

  // -- wiring -----------------------------------------------------------------------------
  function enhance(root) {
    root.querySelectorAll("form[data-async]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        sendForm(form, event.submitter);
      });
    });
    root.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
    root.querySelectorAll("[data-deck]").forEach(setupDeck);
    root.querySelectorAll("form[data-chat]").forEach(setupChat);
    root.querySelectorAll("[data-retry-after]").forEach(countDown);
    root.querySelectorAll("form[data-progress]:not([data-async])").forEach((form) => {
      form.addEventListener("submit", () => {
        const progress = document.getElementById(form.dataset.progress);
        if (progress) progress.hidden = false;
        form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
      });
    });
    root.querySelectorAll("[data-exercises]").forEach(setupExercises);
    root.querySelectorAll("[data-toggle]").forEach(setupToggle);
    root.querySelectorAll("[data-review]").forEach(setupReview);
    if (root !== document && root.querySelector("[data-review], [data-review-done]")) showDueBadge();
    root.querySelectorAll("[data-count-toggle]").forEach((radio) => {
      const field = document.querySelector("[data-count-field]");
      const update = () => { if (radio.checked && field) field.hidden = radio.dataset.countToggle === "off"; };
      radio.addEventListener("change", update);
      update();
    });
  }

  // Menus (the account menu, a card's ⋯) close on a click elsewhere or Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.user-menu[open], details.item-menu[open]").forEach((menu) => {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("click", (event) => closeMenus(event.target.closest && event.target.closest("details")));
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeMenus(null); });

  document.addEventListener("DOMContentLoaded", () => {
    enhance(document);
    showDueBadge();
    // A page sent back refused: its summary first, where a screen reader starts reading.
    const summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
