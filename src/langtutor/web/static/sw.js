// langtutor's service worker, served at /sw.js (scope /): the server puts the shell's version
// and files in self.LANGTUTOR_SHELL above this text. The shell (stylesheet, scripts, icons,
// the offline page) is kept in a cache named by its version, so a deploy replaces it; pages
// come from the network first, else the last Review page kept (offline.js keeps it), else the
// offline page; audio the Review page kept is played from its cache.
"use strict";

const VERSION = self.LANGTUTOR_SHELL.version;
const SHELL = self.LANGTUTOR_SHELL.files;
const SHELL_CACHE = "langtutor-shell-" + VERSION;
const PAGES = "langtutor-pages";
const AUDIO = "langtutor-audio";
const OFFLINE_PAGE = "/offline";

self.addEventListener("install", (event) => {
  // Past the HTTP cache: the files of this version, not what a browser kept of the last.
  const requests = SHELL.map((url) => new Request(url, { cache: "reload", credentials: "same-origin" }));
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(requests)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((name) => name.startsWith("langtutor-shell-") && name !== SHELL_CACHE)
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

// The key audio is kept under: the same for the Review page's copy and a play button's URL.
function audioKey(url) {
  return "/audio?text=" + encodeURIComponent(url.searchParams.get("text") || "") +
    "&lang=" + encodeURIComponent(url.searchParams.get("lang") || "");
}

async function page(request, url) {
  try {
    return await fetch(request);
  } catch (error) {
    const kept = await caches.match(url.pathname, { cacheName: PAGES });
    return kept || (await caches.match(OFFLINE_PAGE, { cacheName: SHELL_CACHE })) || Response.error();
  }
}

async function fromShell(request) {
  return (await caches.match(request, { cacheName: SHELL_CACHE })) || fetch(request);
}

async function audio(request, url) {
  return (await caches.match(audioKey(url), { cacheName: AUDIO })) || fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(page(request, url));
  else if (!url.search && SHELL.includes(url.pathname)) event.respondWith(fromShell(request));
  else if (url.pathname === "/audio") event.respondWith(audio(request, url));
});
