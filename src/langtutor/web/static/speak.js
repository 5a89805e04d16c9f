// Speaking, on pages of a server with a transcription server (LANGTUTOR_STT_PROVIDER): the
// microphone beside a conversation's text box, and "Say it" on flashcards, dialogue lines
// and review cards. The browser records (MediaRecorder), the server writes out what was said
// (POST /speech/transcribe, /speech/read-aloud, with the session cookie and the CSRF token).
// Without MediaRecorder or a microphone API the buttons stay hidden.
(function () {
  "use strict";

  const MAX_MS = 30000; // the server takes 30 seconds at most
  const TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
  const block = document.getElementById("speak-messages");
  if (!block || !window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  const MESSAGES = JSON.parse(block.textContent);
  const token = block.dataset.csrf;
  const say = (key, values) => MESSAGES[key].replace(/%\((\w+)\)s/g, (_, name) => String((values || {})[name]));

  // -- recording -------------------------------------------------------------------------
  let current = null; // the recording under way: { recorder, done (a promise of a Blob), stop }

  async function permission() {
    try { return (await navigator.permissions.query({ name: "microphone" })).state; } catch (_) { return "unknown"; }
  }

  function refusal(error) {
    if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) return say("micMissing");
    return say("micRefused");
  }

  // Starts recording; tell(message) says what happens. Resolves to false when it cannot.
  async function start(tell) {
    const state = await permission();
    if (state === "denied") { tell(say("micRefused")); return false; }
    if (state === "prompt") tell(say("micAsk"));
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      tell(refusal(error));
      return false;
    }
    const type = TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
    const recorder = new MediaRecorder(stream, type ? { mimeType: type, audioBitsPerSecond: 32000 } : {});
    const chunks = [];
    recorder.addEventListener("dataavailable", (event) => { if (event.data.size) chunks.push(event.data); });
    const done = new Promise((resolve) => recorder.addEventListener("stop", () => {
      stream.getTracks().forEach((track) => track.stop());
      resolve(new Blob(chunks, { type: (recorder.mimeType || type || "audio/webm").split(";")[0] }));
    }));
    const timer = setTimeout(() => stop(), MAX_MS - 250);
    current = { recorder, done, timer };
    recorder.start();
    tell(say("recording"));
    return true;
  }

  // Stops the recording under way: its audio, or null when none was under way.
  async function stop() {
    if (!current) return null;
    const { recorder, done, timer } = current;
    current = null;
    clearTimeout(timer);
    if (recorder.state !== "inactive") recorder.stop();
    return done;
  }

  function suffix(blob) {
    return { "audio/ogg": "ogg", "audio/mp4": "mp4", "audio/wav": "wav" }[blob.type] || "webm";
  }

  async function upload(path, blob, fields) {
    const body = new FormData();
    body.append("audio", blob, "recording." + suffix(blob));
    Object.entries(fields).forEach(([name, value]) => { if (value) body.append(name, value); });
    const response = await fetch(path, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": token }, body,
    });
    if (!response.ok) throw new Error(response.status === 429 ? say("tooMany") : say("speechFailed"));
    return response.json();
  }

  // A button that records on one tap and stops on the next; then(blob) gets the audio.
  function toggle(button, tell, then) {
    async function flip() {
      if (button.getAttribute("aria-pressed") === "true") {
        button.setAttribute("aria-pressed", "false");
        const blob = await stop();
        if (blob) await then(blob);
        return;
      }
      if (current) return; // one recording at a time
      button.setAttribute("aria-pressed", "true");
      if (!(await start(tell))) button.setAttribute("aria-pressed", "false");
    }
    button.addEventListener("click", flip);
    button.hidden = false;
    return flip;
  }

  // -- a conversation by voice -----------------------------------------------------------
  function setupChat(form) {
    const button = form.querySelector("[data-mic]");
    const hint = form.querySelector("[data-mic-hint]");
    const field = form.querySelector("textarea");
    const status = form.querySelector("[data-chat-status]");
    if (!button) return;
    const tell = (text) => { status.textContent = text; };
    const flip = toggle(button, tell, async (blob) => {
      tell(say("transcribing"));
      button.disabled = true;
      try {
        const heard = await upload("/speech/transcribe", blob, { language: form.dataset.target });
        if (!heard.text) { tell(say("notHeard")); return; }
        field.value = field.value.trim() ? field.value.trim() + " " + heard.text : heard.text;
        field.focus();
        tell(say("transcribed"));
      } catch (error) {
        tell(error.message || say("speechFailed"));
      } finally {
        button.disabled = false;
      }
    });
    if (hint) hint.hidden = false;
    // Space held down records on a desktop, when no field or button has the focus.
    const typing = () => document.activeElement && document.activeElement.closest("input, textarea, select, button, a, [contenteditable]");
    let held = false; // recording while Space is down: its release stops it, wherever the focus went
    document.addEventListener("keydown", (event) => {
      if (event.code !== "Space" || event.repeat || held || typing() || button.disabled) return;
      event.preventDefault();
      if (button.getAttribute("aria-pressed") === "true") return;
      held = true;
      flip();
    });
    document.addEventListener("keyup", (event) => {
      if (event.code !== "Space" || !held) return;
      event.preventDefault();
      held = false;
      if (button.getAttribute("aria-pressed") === "true") flip();
    });
  }

  // -- read aloud ------------------------------------------------------------------------
  function wordList(words) {
    const list = document.createElement("p");
    list.className = "said-words";
    words.forEach((word, index) => {
      const span = document.createElement("span");
      span.className = "word word-" + (word.verdict === "wrong" ? "missed" : word.verdict);
      span.textContent = word.word;
      if (word.verdict !== "correct") {
        const mark = document.createElement("span");
        mark.className = "visually-hidden";
        mark.textContent = " (" + say(word.verdict === "wrong" ? "missedMark" : "almostMark") + ")";
        span.appendChild(mark);
      }
      if (index) list.append(" ");
      list.appendChild(span);
    });
    return list;
  }

  function showResult(box, result) {
    box.replaceChildren();
    const total = result.words.length;
    const right = result.words.filter((w) => w.verdict !== "wrong").length;
    const summary = document.createElement("p");
    summary.className = "said-summary";
    summary.textContent = say("wordsRight", { right: right, total: total });
    const said = document.createElement("p");
    said.className = "meta";
    said.textContent = say("youSaid", { said: result.transcript.text || "…" });
    box.append(summary, wordList(result.words), said);
    if (result.review_card_id) {
      const card = document.createElement("p");
      card.className = "meta";
      card.textContent = say("inReview");
      box.appendChild(card);
    }
    box.hidden = false;
  }

  function setupSayIt(button) {
    const box = document.getElementById(button.getAttribute("aria-controls"));
    const tell = (text) => { box.replaceChildren(text); box.hidden = false; };
    toggle(button, tell, async (blob) => {
      tell(say("transcribing"));
      button.disabled = true;
      try {
        showResult(box, await upload("/speech/read-aloud", blob, {
          text: button.dataset.sayIt, language: button.dataset.lang,
          source: button.dataset.source, translation: button.dataset.translation,
        }));
      } catch (error) {
        tell(error.message || say("speechFailed"));
      } finally {
        button.disabled = false;
      }
    });
  }

  function enhance(root) {
    root.querySelectorAll("form[data-chat]:not([data-mic-ready])").forEach((form) => {
      form.dataset.micReady = "true";
      setupChat(form);
    });
    root.querySelectorAll("button[data-say-it]:not([data-ready])").forEach((button) => {
      button.dataset.ready = "true";
      setupSayIt(button);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    enhance(document);
    // Cards and sets that arrive later (a generation, the next review card).
    new MutationObserver(() => enhance(document)).observe(document.body, { childList: true, subtree: true });
  });
})();
