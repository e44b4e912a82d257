// Lotse's service worker (served at /sw.js so its scope is the whole app): keeps the app shell on the device so
// the app opens and guides without network. The API and the live WebSocket always go to the network; the route
// of a guidance in progress is kept by the page itself.

const CACHE = "lotse-shell-v5";
const SHELL = [
  "/",
  "/manifest.webmanifest",
  "/static/app.css",
  "/static/js/app.js",
  "/static/js/api.js",
  "/static/js/combobox.js",
  "/static/js/format.js",
  "/static/js/geo.js",
  "/static/js/guidance.js",
  "/static/js/i18n.js",
  "/static/js/output.js",
  "/static/js/store.js",
  "/static/js/screens/common.js",
  "/static/js/screens/destination.js",
  "/static/js/screens/guide.js",
  "/static/js/screens/navigation.js",
  "/static/js/screens/planning.js",
  "/static/js/screens/preview.js",
  "/static/js/screens/settings.js",
  "/static/i18n/de.json",
  "/static/i18n/en.json",
  "/static/volunteer.html",
  "/static/volunteer.css",
  "/static/js/volunteer/main.js",
  "/static/js/volunteer/map.js",
  "/static/js/volunteer/api.js",
  "/static/js/volunteer/nearby.js",
  "/static/js/volunteer/position.js",
  "/static/js/volunteer/report.js",
  "/static/js/volunteer/ui.js",
  "/static/i18n/volunteer.de.json",
  "/static/i18n/volunteer.en.json",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/icons/icon.svg",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/static/icons/icon-maskable-512.png",
];
const NETWORK_WAIT_MS = 3000; // a slow network: answer from the cache after this long

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

function isShell(url) {
  return url.origin === self.location.origin && !url.pathname.startsWith("/api/") && !url.pathname.startsWith("/ws/");
}

// Network first, so an updated app arrives at once; the cache when the network fails or is too slow.
self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || !isShell(url)) return;
  const key = request.mode === "navigate" && url.pathname === "/" ? "/" : request;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const network = fetch(request).then((response) => {
      if (response.ok && response.type === "basic") cache.put(key, response.clone());
      return response;
    });
    network.catch(() => null); // answered from the cache below
    const cached = await cache.match(key, { ignoreSearch: request.mode === "navigate" });
    if (!cached) return network;
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), NETWORK_WAIT_MS));
    try {
      return (await Promise.race([network, timeout])) || cached;
    } catch {
      return cached;
    }
  })());
});
