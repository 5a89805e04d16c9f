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

  // -- the page's messages, in its language (`_script_messages.html`: a JSON block read once),
  // with the English as the fallback. `say` fills a message's %(name)s placeholders; given a
  // count, it picks the message's plural form for the page's language.
  const ENGLISH = {
    unreachable: "The server could not be reached. Check your connection and try again.",
    unreachableShort: "The server could not be reached.",
    cardOf: "Card %(current)s of %(total)s",
    finished: "Finished: %(right)s right, %(almost)s almost, %(wrong)s wrong. Score %(score)s.",
    chooseAnswer: "Choose an answer first.",
    typeAnswer: "Type your answer first.",
    exerciseOf: "Exercise %(current)s of %(total)s",
    exercisesDone: "Done",
    typeLine: "Type your line first.",
    you: "%(role)s (you)",
    lineNotSent: "The line could not be sent.",
    lineConflict: "This conversation cannot take this line now. Reload the page to see where it stands.",
    replyFailed: "The reply could not be made. Send your line again.",
    showTranslation: "Show translation",
    hideTranslation: "Hide translation",
    showTranslationOfLine: "Show translation of line %(line)s",
    hideTranslationOfLine: "Hide translation of line %(line)s",
    gradeNext: "%(grade)s, next in %(interval)s",
    listenCard: "Listen to the card: %(text)s",
    plural: {
      one: {
        cardsDone: "%(count)s card done",
        reviewLink: "Review, %(count)s card to study",
        soFar: "So far: %(right)s right, %(almost)s almost, %(wrong)s wrong (%(checked)s of %(total)s checked).",
        lines: "%(done)s of %(total)s line",
        newCount: "%(count)s new",
        dueCount: "%(count)s due",
        waitingToSync: "%(count)s review waiting to sync",
        refused: "%(count)s review could not be saved: %(reasons)s",
      },
      other: {
        cardsDone: "All %(count)s cards done",
        reviewLink: "Review, %(count)s cards to study",
        soFar: "So far: %(right)s right, %(almost)s almost, %(wrong)s wrong (%(checked)s of %(total)s checked).",
        lines: "%(done)s of %(total)s lines",
        newCount: "%(count)s new",
        dueCount: "%(count)s due",
        waitingToSync: "%(count)s reviews waiting to sync",
        refused: "%(count)s reviews could not be saved: %(reasons)s",
      },
    },
  };
  const pageLanguage = document.documentElement.lang || "en";
  const MESSAGES = (() => {
    try { return JSON.parse(document.getElementById("page-messages").textContent); } catch (_) { return ENGLISH; }
  })();
  function pluralOf(count, messages) {
    let category = count === 1 ? "one" : "other";
    try { category = new Intl.PluralRules(pageLanguage).select(count); } catch (_) { /* English's rule */ }
    const forms = messages.plural || {};
    return forms[category] || forms.other || {};
  }
  function say(key, values, count) {
    const text = count === undefined
      ? MESSAGES[key] || ENGLISH[key]
      : pluralOf(count, MESSAGES)[key] || pluralOf(count, ENGLISH)[key];
    return text.replace(/%\((\w+)\)s/g, (_, name) => {
      const value = (values || {})[name];
      return typeof value === "number" ? value.toLocaleString(pageLanguage) : String(value);
    });
  }

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
      // Unreachable: the offline review (offline.js) may take the form over (it cancels this).
      const unreachable = new CustomEvent("langtutor:unreachable", { bubbles: true, cancelable: true, detail: { submitter: submitter } });
      if (form.dispatchEvent(unreachable) && target) {
        target.innerHTML = "";
        const box = document.createElement("div");
        box.className = "banner banner-error";
        box.setAttribute("role", "alert");
        box.textContent = say("unreachable");
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
    return function record(position, finished, score, opened) {
      if (!token || !(box.dataset.savedContentId || box.dataset.generationId)) return;
      const now = Date.now();
      if (!finished && !opened && now - last < 4000) return; // one note every few seconds is plenty
      last = now;
      const body = new FormData();
      body.append("csrf_token", token.value);
      if (box.dataset.savedContentId) body.append("saved_content_id", box.dataset.savedContentId);
      else body.append("generation_id", box.dataset.generationId);
      body.append("position", String(position));
      if (opened) body.append("opened", "true");
      if (finished) body.append("finished", "true");
      if (score !== undefined && score !== null) body.append("score", String(score));
      fetch("/app/studied", { method: "POST", body: body, credentials: "same-origin", keepalive: true,
        headers: { "X-Requested-With": "fetch" } }).catch(() => { /* progress is a nicety */ });
    };
  }

  // A set's page opened: Continue comes back to it. The page's GET writes nothing (a link
  // a browser prefetches must not move Continue), so the page says it here.
  function noteOpened(box) {
    studyRecorder(box)(Number(box.dataset.position || 0), false, null, true);
  }

  // "Save to your library" at the end of a deck or of exercises: the folded tools open there.
  function openSave(event) {
    const heading = document.getElementById("save-heading");
    if (!heading) return;
    event.preventDefault();
    const tools = heading.closest("details");
    if (tools) tools.open = true;
    heading.scrollIntoView({ block: "center" });
    heading.focus();
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
    // The page's title gives way too, as when the result page is loaded.
    const title = document.querySelector("main h1");
    if (heading && title) title.classList.add("visually-hidden");
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
    const help = Array.from(deck.querySelectorAll(".deck-help"));
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
      help.forEach((p) => { p.hidden = false; });
      cards.forEach((slot, i) => { slot.hidden = i !== current; });
      counter.textContent = say("cardOf", { current: current + 1, total: cards.length });
      record(current, false);
      autoplay(deck);
    }
    function finish() {
      if (!end) { show(0); return; }
      finished = true;
      cards.forEach((slot) => { slot.hidden = true; });
      nav.hidden = true;
      help.forEach((p) => { p.hidden = true; });
      end.hidden = false;
      counter.textContent = say("cardsDone", { count: cards.length }, cards.length);
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
    // The cards follow the reading order: swipe toward where the text starts (left in English,
    // right in Arabic) for the next card, the other way for the previous one; the arrow key
    // pointing where the text goes is Next, the other Previous, as on the buttons.
    const rtl = document.documentElement.dir === "rtl";
    if (rtl) {
      deck.querySelector("[data-prev]").setAttribute("aria-keyshortcuts", "ArrowRight");
      deck.querySelector("[data-next]").setAttribute("aria-keyshortcuts", "ArrowLeft");
    }
    const nextKey = rtl ? "ArrowLeft" : "ArrowRight";
    const previousKey = rtl ? "ArrowRight" : "ArrowLeft";
    let startX = null;
    deck.addEventListener("pointerdown", (event) => { if (event.pointerType !== "mouse") startX = event.clientX; });
    deck.addEventListener("pointerup", (event) => {
      if (startX === null || finished) return;
      const dx = event.clientX - startX;
      startX = null;
      if (Math.abs(dx) < 50) return;
      deck.swiped = true;
      setTimeout(() => { deck.swiped = false; }, 400);
      show((rtl ? dx > 0 : dx < 0) ? current + 1 : current - 1);
    });
    deck.deckKeys = function (event) {
      if (finished) return false;
      if (cardKey(event)) { flip(cards[current]); return true; }
      if (event.key === nextKey) { show(current + 1); return true; }
      if (event.key === previousKey) { show(current - 1); return true; }
      return false;
    };
  }

  // -- keys on the card in view -------------------------------------------------------------
  // Space and Enter act on the card in view (a deck's card flips, a review card shows its
  // answer) whatever has focus: a click on Next or on a play button leaves the focus there,
  // and the next Space must not press it again. A control of the study area keeps the key
  // only when the learner reached it with the keyboard; `ofTheCard` names the controls that
  // never do (Next and Previous: Space and Enter never move on).
  let lastInput = "pointer";
  let reachedByKey = null;
  document.addEventListener("keydown", () => { lastInput = "key"; }, true);
  document.addEventListener("pointerdown", () => { lastInput = "pointer"; reachedByKey = null; }, true);
  document.addEventListener("focusin", (event) => { reachedByKey = lastInput === "key" ? event.target : null; });
  function cardKey(event) {
    return event.key === " " || event.key === "Spacebar" || event.key === "Enter";
  }
  function typing(where) {
    return where.closest && where.closest("input, textarea, select, [contenteditable]");
  }
  function keepsKey(where, ofTheCard) {
    const control = where.closest && where.closest("button, a, summary");
    if (!control || control.matches(ofTheCard)) return false;
    return !control.closest("[data-deck], [data-review], [data-exercises]") || control === reachedByKey;
  }

  document.addEventListener("keydown", (event) => {
    const deck = document.querySelector("[data-deck]");
    if (!deck || !deck.deckKeys || event.altKey || event.ctrlKey || event.metaKey) return;
    const where = event.target;
    if (typing(where) || (cardKey(event) && keepsKey(where, "[data-prev], [data-next]"))) return;
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
      // The answer, not a grade button, takes the focus: a second Space grades nothing.
      answer.focus();
    }
    if (show) show.addEventListener("click", (event) => { event.preventDefault(); reveal(); });
    if (grades && duration) grades.addEventListener("submit", () => { duration.value = String(Date.now() - shownAt); }, true);
    box.reviewKeys = function (event) {
      if (cardKey(event)) {
        if (answer && answer.hidden) reveal();
        return Boolean(answer);
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
    if (typing(where)) return;
    const box = document.querySelector("[data-review]");
    if (box && box.reviewKeys) {
      if (cardKey(event) && keepsKey(where, "[data-show]")) return;
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
      if (link) link.setAttribute("aria-label", say("reviewLink", { count: count }, count));
    } catch (_) { /* offline: no badge */ }
  }

  // -- exercises: checked by the server -------------------------------------------------
  function setupExercises(box) {
    const score = box.querySelector("[data-score]");
    const total = Number(score.dataset.total);
    const items = Array.from(box.querySelectorAll("[data-exercise]"));
    const results = new Map();
    const record = studyRecorder(box);
    const steps = box.hasAttribute("data-one-at-a-time") ? exerciseSteps(box, items, results) : null;

    function showScore() {
      const values = Array.from(results.values());
      const points = values.reduce((sum, r) => sum + r.score, 0);
      const count = (verdict) => values.filter((r) => r.verdict === verdict).length;
      const parts = { right: count("correct"), almost: count("almost"), wrong: count("wrong") };
      let percent = Math.round((100 * points) / total) + "%";
      try { percent = new Intl.NumberFormat(pageLanguage, { style: "percent" }).format(points / total); } catch (_) { /* as is */ }
      score.textContent = values.length === total
        ? say("finished", Object.assign({ score: percent }, parts))
        : say("soFar", Object.assign({ checked: values.length, total: total }, parts), total);
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

    items.forEach((item) => {
      const form = item.querySelector("form[data-check]");
      const target = document.getElementById(form.dataset.target);
      const button = form.querySelector("button[type=submit]");
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const chosen = form.querySelector("input[name=answer]:checked, input[name=answer]:not([type=radio])");
        if (!chosen || !chosen.value.trim()) {
          // Said in the page (the form is novalidate: no browser bubble).
          const radio = form.querySelector("input[type=radio]");
          const note = document.createElement("p");
          note.className = "exercise-note";
          note.textContent = say(radio ? "chooseAnswer" : "typeAnswer");
          target.replaceChildren(note);
          (radio || chosen).focus();
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
            results.set(item.id, { score: Number(result.dataset.points), verdict: result.dataset.verdict });
            mark(form, result);
            showScore();
            if (steps) steps.checked(item);
          }
        } catch (_) {
          target.textContent = say("unreachable");
        } finally {
          button.disabled = false;
          form.removeAttribute("aria-busy");
        }
      });
    });
  }

  // An exercise as it was before its answer was checked.
  function clearExercise(item) {
    const form = item.querySelector("form[data-check]");
    form.reset();
    form.querySelector("fieldset").disabled = false;
    form.querySelector("button[type=submit]").hidden = false;
    form.querySelectorAll("[class*=is-]").forEach((el) => el.classList.remove("is-right", "is-wrong", "is-correct", "is-almost"));
    document.getElementById(form.dataset.target).replaceChildren();
    item.querySelector("[data-continue-row]").hidden = true;
  }

  // One exercise at a time, as Duolingo and Anki learners know it: a progress bar, Check then
  // Continue, the score at the end with the mistakes under it. Enter checks, Enter continues,
  // 1-9 choose an option.
  function exerciseSteps(box, items, results) {
    const bar = box.querySelector("[data-progress-bar]");
    const step = box.querySelector("[data-step]");
    const summary = box.querySelector("[data-exercise-summary]");
    const keys = box.querySelector("[data-exercise-keys]");
    const continueRow = (item) => item.querySelector("[data-continue-row]");
    let current = 0;
    let finished = false;
    box.classList.add("one-at-a-time");
    bar.hidden = false;
    step.hidden = false;

    function show(index, focus) {
      current = index;
      finished = false;
      box.classList.remove("reviewing");
      keys.hidden = false;
      summary.hidden = true;
      items.forEach((item, i) => { item.hidden = i !== index; });
      step.textContent = say("exerciseOf", { current: index + 1, total: items.length });
      if (!focus) return;
      if (box.getBoundingClientRect().top < 0) box.scrollIntoView({ block: "start" });
      const item = items[index];
      (item.querySelector("input[name=answer]:not([type=radio])") || item.querySelector("legend")).focus({ preventScroll: true });
    }
    function finish() {
      finished = true;
      const mistakes = items.filter((item) => results.get(item.id).verdict !== "correct");
      items.forEach((item) => {
        item.hidden = !mistakes.includes(item);
        continueRow(item).hidden = true;
      });
      step.textContent = say("exercisesDone");
      box.classList.add("reviewing");
      keys.hidden = true;
      summary.querySelector("[data-mistakes-heading]").hidden = mistakes.length === 0;
      summary.querySelector("[data-no-mistakes]").hidden = mistakes.length > 0;
      summary.hidden = false;
      summary.scrollIntoView({ block: "nearest" });
      summary.focus({ preventScroll: true });
    }
    function next() {
      if (current + 1 < items.length) show(current + 1, true);
      else finish();
    }
    function restart() {
      results.clear();
      items.forEach(clearExercise);
      bar.value = 0;
      show(0, true);
    }
    items.forEach((item) => item.querySelector("[data-continue]").addEventListener("click", next));
    summary.querySelector("[data-again]").addEventListener("click", restart);

    box.exerciseKeys = function (event) {
      const item = items[current];
      const where = event.target;
      if (finished || !where.closest || (typing(where) && !item.contains(where))) return false;
      if (event.key === "Enter") {
        if (keepsKey(where, "[data-check-button], [data-continue]")) return false;
        if (!continueRow(item).hidden) next();
        else item.querySelector("[data-check-button]").click();
        return true;
      }
      if (!/^[1-9]$/.test(event.key) || where.matches("input:not([type=radio])")) return false;
      const option = item.querySelectorAll("input[type=radio]:not(:disabled)")[Number(event.key) - 1];
      if (option) { option.checked = true; option.focus(); }
      return Boolean(option);
    };
    show(0, false);
    return {
      checked(item) {
        bar.value = results.size;
        continueRow(item).hidden = false;
        continueRow(item).querySelector("button").focus();
      },
    };
  }

  document.addEventListener("keydown", (event) => {
    const box = document.querySelector("[data-one-at-a-time]");
    if (!box || !box.exerciseKeys || event.altKey || event.ctrlKey || event.metaKey || event.isComposing) return;
    if (box.exerciseKeys(event)) event.preventDefault();
  });

  // -- conversations: the reply streams in as the model writes it ------------------------
  function setupChat(form) {
    const id = form.dataset.chat;
    const log = document.querySelector("[data-chat-log]");
    const status = form.querySelector("[data-chat-status]");
    const field = form.querySelector("textarea");
    const button = form.querySelector("button[type=submit]");
    const token = form.querySelector("input[name=csrf_token]").value;
    const count = document.querySelector("[data-line-count]");

    // The box stays on screen after every turn: above a phone's tab bar (the page's
    // scroll-padding) and above its on-screen keyboard, which covers the page's bottom.
    function keepInView() { form.scrollIntoView({ block: "nearest" }); }
    const viewport = window.visualViewport;
    if (viewport) viewport.addEventListener("resize", () => {
      const covered = Math.max(0, window.innerHeight - viewport.height - viewport.offsetTop);
      document.documentElement.style.setProperty("--keyboard", Math.round(covered) + "px");
      if (document.activeElement === field) keepInView();
    });

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
        if (count) {
          const max = Number(count.dataset.max);
          count.textContent = say("lines", { done: log.querySelectorAll(".learner-line").length, total: max }, max);
        }
      }
    }

    async function send() {
      const text = field.value.trim();
      if (!text) { status.textContent = say("typeLine"); return; }
      button.disabled = true;
      status.textContent = "";
      bubble("learner", say("you", { role: form.dataset.learnerRole }), text);
      const reply = bubble("model", "…", "");
      reply.parentElement.setAttribute("aria-busy", "true");
      field.value = "";
      keepInView();
      try {
        const response = await fetch("/conversations/" + id + "/turns", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "text/event-stream", "X-CSRF-Token": token },
          body: JSON.stringify({ text: text }),
        });
        // The API's error details are English, for programs: the page says its own message.
        if (!response.ok) throw new Error(say(response.status === 409 ? "lineConflict" : "lineNotSent"));
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
            else if (kind === "error") throw new Error(say(data.status === 409 ? "lineConflict" : "replyFailed"));
            else if (kind === "turn") await refresh();
          }
        }
      } catch (error) {
        field.value = text; // nothing is lost
        reply.parentElement.remove();
        log.lastElementChild && log.lastElementChild.remove();
        status.textContent = error instanceof TypeError ? say("unreachableShort") : error.message || say("unreachableShort");
      } finally {
        button.disabled = false;
        field.focus();
        keepInView();
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
      label.textContent = say(open ? "hideTranslation" : "showTranslation");
      // A line's toggle is named in a whole sentence of its own ("Show translation of line 2").
      if (button.dataset.line) {
        button.setAttribute("aria-label", say(open ? "hideTranslationOfLine" : "showTranslationOfLine", { line: Number(button.dataset.line) }));
      }
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
    root.querySelectorAll("[data-save-link]").forEach((link) => link.addEventListener("click", openSave));
    root.querySelectorAll("form[data-chat]").forEach(setupChat);
    root.querySelectorAll("[data-retry-after]").forEach(countDown);
    root.querySelectorAll("form[data-progress]:not([data-async])").forEach((form) => {
      form.addEventListener("submit", (event) => {
        const progress = document.getElementById(form.dataset.progress);
        if (progress) progress.hidden = false;
        // A disabled button is not sent: the one pressed goes as a hidden field instead.
        const pressed = event.submitter;
        if (pressed && pressed.name) {
          const field = document.createElement("input");
          field.type = "hidden";
          field.name = pressed.name;
          field.value = pressed.value;
          form.appendChild(field);
        }
        form.querySelectorAll("button[type=submit]").forEach((b) => { b.disabled = true; });
      });
    });
    root.querySelectorAll("[data-exercises]").forEach(setupExercises);
    root.querySelectorAll("[data-print]").forEach((button) => {
      button.hidden = false;
      button.addEventListener("click", () => window.print());
    });
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

  // A shared set's link: "Copy link" copies it (the field stays there to select by hand).
  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-copy-link]");
    if (!button) return;
    const field = document.querySelector("[data-share-link]");
    const copied = () => { button.textContent = button.dataset.copied; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(copied, () => field.select());
    } else {
      field.select();
      if (document.execCommand("copy")) copied();
    }
  });
  document.addEventListener("focusin", (event) => {
    if (event.target.matches && event.target.matches("[data-share-link]")) event.target.select();
  });

  // What the offline review (offline.js, loaded after this script) shares of this one.
  window.langtutor = { say: say, enhance: enhance, setupReview: setupReview, autoplay: autoplay };

  document.addEventListener("DOMContentLoaded", () => {
    enhance(document);
    showDueBadge();
    document.querySelectorAll("[data-opened]").forEach(noteOpened);
    document.querySelectorAll("[data-copy-link]").forEach((button) => { button.hidden = false; });
    // A page sent back refused: its summary first, where a screen reader starts reading.
    const summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  });
})();
