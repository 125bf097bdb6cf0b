/*! Njia JS SDK — page views, events and identify from the browser to a Njia collector.
 *
 * Plain JavaScript with no build step and no dependencies: this file is exactly what the
 * collector serves at /v1/sdk.js.
 *
 *   <script src="https://collector.example/v1/sdk.js"></script>
 *   <script>
 *     analytics.init("wk_…");            // apiEndpoint defaults to the origin the SDK came from
 *     analytics.page();
 *     analytics.track("otp_success", {method: "sms"});
 *     analytics.identify("A123456789Z", {phone: "0711 111 111", email: "jane@example.com"});
 *   </script>
 *
 * Delivery is at-least-once: a batch that may or may not have arrived (timeout, page closed
 * mid-request, beacon after a failure) is sent again, and the pipeline stores each event_id
 * once, so a resend is harmless while a lost event is not.
 *
 * The web session timeout is the project's `session_timeout` setting on the server (the same
 * one the warehouse's sessions use): init reads it from the collector's settings document
 * (GET /v1/projects/<write key>/settings, `njia.sessionTimeoutSeconds`) and keeps it in
 * localStorage, so later pages have it at once and ask again only when it is over 5 minutes
 * old. Until a page has it (the first page in a browser, or a collector that cannot be reached)
 * the default of 30 minutes applies. A tab's first event starts a session whatever the timeout,
 * so the timeout decides only for later events, by which time the answer is normally in.
 */
(function (root) {
  "use strict";

  if (!root || !root.document) return;
  // Loaded twice (snippet + bundle): keep the first instance and its queue.
  if (root.analytics && root.analytics.__njia) return;

  var VERSION = "1.0.0";
  var LIBRARY = { name: "njia-js", version: VERSION };

  // A gap longer than this starts a new session: the project's setting once served (above).
  var DEFAULT_SESSION_TIMEOUT_MS = 30 * 60 * 1000;
  var SETTINGS_MAX_AGE_MS = 5 * 60 * 1000; // a stored settings document older than this is re-read
  var MAX_QUEUE = 500; // events kept in memory and in localStorage; the oldest go first
  var MAX_BATCH = 100; // events per POST; well under the collector's 1000 and 1 MiB limits
  var MAX_ATTEMPTS = 10; // failed sends before an event is given up
  var BACKOFF_BASE_MS = 1000;
  var BACKOFF_MAX_MS = 60 * 1000;
  // Browsers cap the bytes of all in-flight keepalive requests (fetch keepalive and beacons)
  // at 64 KiB per page; stay below it so one big request does not starve the rest.
  var KEEPALIVE_MAX_BYTES = 60 * 1024;
  var PERSIST_DELAY_MS = 50;

  var KEYS = {
    anonymousId: "njia_anonymous_id",
    userId: "njia_user_id",
    sessionId: "njia_session_id",
    lastActivity: "njia_session_last_activity",
    tabId: "njia_tab_id",
    queuePrefix: "njia_queue:",
    settingsPrefix: "njia_settings:"
  };

  // The collector that served this file is the natural default endpoint.
  var scriptOrigin = (function () {
    try {
      var src = root.document.currentScript && root.document.currentScript.src;
      return src ? new URL(src, root.location.href).origin : root.location.origin;
    } catch (e) {
      return root.location.origin;
    }
  })();

  // ---- storage -------------------------------------------------------------------------
  // Storage can be missing or throw (privacy modes, quota, sandboxed iframes): fall back to
  // memory so tracking still works for the page's lifetime.
  function memoryStorage() {
    var data = {};
    return {
      getItem: function (k) { return Object.prototype.hasOwnProperty.call(data, k) ? data[k] : null; },
      setItem: function (k, v) { data[k] = String(v); },
      removeItem: function (k) { delete data[k]; },
      key: function () { return null; },
      length: 0
    };
  }

  function openStorage(kind) {
    try {
      var s = root[kind];
      s.setItem("__njia_probe", "1");
      s.removeItem("__njia_probe");
      return s;
    } catch (e) {
      return memoryStorage();
    }
  }

  var local = openStorage("localStorage");
  var session = openStorage("sessionStorage");

  function get(store, key) {
    try { return store.getItem(key); } catch (e) { return null; }
  }

  function put(store, key, value) {
    try {
      if (value === null || value === undefined) store.removeItem(key);
      else store.setItem(key, value);
      return true;
    } catch (e) {
      return false;
    }
  }

  // ---- ids -----------------------------------------------------------------------------
  function uuid() {
    var c = root.crypto;
    // randomUUID exists only in secure contexts (https, localhost); getRandomValues everywhere.
    if (c && typeof c.randomUUID === "function") {
      try { return c.randomUUID(); } catch (e) { /* fall through */ }
    }
    var b = new Uint8Array(16);
    if (c && typeof c.getRandomValues === "function") c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // RFC 4122 variant
    var h = [];
    for (var j = 0; j < 16; j++) h.push((b[j] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" +
      h.slice(6, 8).join("") + "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function anonymousId() {
    var id = get(local, KEYS.anonymousId);
    if (!id) {
      id = uuid();
      put(local, KEYS.anonymousId, id);
    }
    return id;
  }

  function userId() {
    return get(local, KEYS.userId);
  }

  // sessionStorage: a session belongs to one tab; a reload keeps it, a new tab starts its own.
  function sessionId(now, touch) {
    var id = get(session, KEYS.sessionId);
    var last = parseInt(get(session, KEYS.lastActivity), 10) || 0;
    if (!touch) return id;
    if (!id || now - last > state.sessionTimeoutMs) {
      id = uuid();
      put(session, KEYS.sessionId, id);
    }
    put(session, KEYS.lastActivity, String(now));
    return id;
  }

  var tabId = get(session, KEYS.tabId);
  if (!tabId) {
    tabId = uuid();
    put(session, KEYS.tabId, tabId);
  }

  // ---- state ---------------------------------------------------------------------------
  var state = {
    writeKey: null,
    api: null,
    flushAt: 20,
    flushInterval: 2000,
    debug: false,
    initialized: false,
    sessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
    // [{event, attempts}], oldest first. The single source of truth: an event leaves it only
    // once the collector (or the browser's beacon queue) has taken it.
    queue: [],
    sending: false,
    failures: 0, // consecutive failed sends, for the backoff
    retryAt: 0, // no size-triggered flush before this (ms since epoch) while backing off
    timer: null,
    persistTimer: null
  };

  function log() {
    if (!state.debug || !root.console) return;
    var args = Array.prototype.slice.call(arguments);
    args.unshift("[njia]");
    (root.console.log || function () {}).apply(root.console, args);
  }

  // A JSON-safe copy, so later changes by the caller do not alter a queued event.
  function plain(value, what) {
    if (value === null || value === undefined) return {};
    if (typeof value !== "object" || Array.isArray(value)) {
      log(what + " must be an object; ignored:", value);
      return {};
    }
    try {
      return JSON.parse(JSON.stringify(value)) || {};
    } catch (e) {
      log(what + " cannot be serialised (" + e + "); ignored");
      return {};
    }
  }

  function context() {
    var loc = root.location, doc = root.document, nav = root.navigator || {};
    var timezone = null;
    try { timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { /* old */ }
    return {
      page: { path: loc.pathname, title: doc.title, url: loc.href, referrer: doc.referrer },
      userAgent: nav.userAgent,
      library: LIBRARY,
      locale: nav.language || null,
      timezone: timezone
    };
  }

  function buildEvent(name, properties, traits) {
    var now = new Date();
    return {
      event_id: uuid(),
      event_name: name,
      timestamp: now.toISOString(),
      anonymous_id: anonymousId(),
      user_id: userId(),
      session_id: sessionId(now.getTime(), true),
      channel: "web",
      context: context(),
      properties: plain(properties, "properties"),
      traits: plain(traits, "traits")
    };
  }

  // ---- persistence ---------------------------------------------------------------------
  // localStorage holds {tabId: {t, q: [items]}} per write key: each tab writes only its own
  // entry, so tabs do not overwrite each other's unsent events. On init a page adopts every
  // entry (its own after a reload, and those of tabs that died with unsent events); a live
  // tab re-adds its entry at its next write, and any event sent by both is stored once.
  function queueKey() {
    return KEYS.queuePrefix + state.writeKey;
  }

  function readPersisted() {
    try {
      var all = JSON.parse(get(local, queueKey()) || "{}");
      return all && typeof all === "object" && !Array.isArray(all) ? all : {};
    } catch (e) {
      return {};
    }
  }

  function writePersisted(all) {
    var key = queueKey();
    if (!Object.keys(all).length) return put(local, key, null);
    if (put(local, key, JSON.stringify(all))) return true;
    // Over quota: keep the newest half of our own entry rather than nothing.
    var mine = all[tabId];
    if (mine && mine.q.length > 1) {
      mine.q = mine.q.slice(Math.floor(mine.q.length / 2));
      return put(local, key, JSON.stringify(all));
    }
    return false;
  }

  function persistNow() {
    if (state.persistTimer) {
      root.clearTimeout(state.persistTimer);
      state.persistTimer = null;
    }
    if (!state.writeKey) return;
    var all = readPersisted();
    if (state.queue.length) all[tabId] = { t: Date.now(), q: state.queue.slice(-MAX_QUEUE) };
    else delete all[tabId];
    writePersisted(all);
  }

  // Debounced: a burst of calls costs one write; pagehide and the end of a send write at once.
  function schedulePersist() {
    if (state.persistTimer || !state.writeKey) return;
    state.persistTimer = root.setTimeout(persistNow, PERSIST_DELAY_MS);
  }

  function adoptPersisted() {
    var all = readPersisted();
    var known = {};
    state.queue.forEach(function (item) { known[item.event.event_id] = true; });
    var adopted = [];
    Object.keys(all).forEach(function (owner) {
      var entry = all[owner];
      (entry && Array.isArray(entry.q) ? entry.q : []).forEach(function (item) {
        if (item && item.event && item.event.event_id && !known[item.event.event_id]) {
          known[item.event.event_id] = true;
          adopted.push({ event: item.event, attempts: item.attempts || 0 });
        }
      });
      delete all[owner];
    });
    writePersisted(all);
    if (adopted.length) {
      adopted.sort(function (a, b) { return a.event.timestamp < b.event.timestamp ? -1 : 1; });
      state.queue = adopted.concat(state.queue);
      trim();
      log("adopted", adopted.length, "unsent event(s) from an earlier page");
    }
  }

  // ---- settings served by the collector -----------------------------------------------
  // {t: when fetched (ms), sessionTimeoutSeconds} per write key, in localStorage.
  function settingsKey() {
    return KEYS.settingsPrefix + state.writeKey;
  }

  function applySettings(doc) {
    var seconds = Number(doc && doc.sessionTimeoutSeconds);
    if (!(seconds > 0) || !isFinite(seconds)) return false;
    state.sessionTimeoutMs = seconds * 1000;
    return true;
  }

  function loadSettings() {
    var stored = null;
    try { stored = JSON.parse(get(local, settingsKey()) || "null"); } catch (e) { stored = null; }
    var fresh = applySettings(stored) && Date.now() - (Number(stored.t) || 0) < SETTINGS_MAX_AGE_MS;
    if (fresh || typeof root.fetch !== "function") return;
    // A plain GET (no custom header): no CORS preflight, and no write key needed but the path's.
    root.fetch(state.api + "/v1/projects/" + encodeURIComponent(state.writeKey) + "/settings", {
      method: "GET",
      mode: "cors",
      credentials: "omit"
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (doc) {
      var served = doc && doc.njia;
      if (!applySettings(served)) throw new Error("no njia.sessionTimeoutSeconds");
      put(local, settingsKey(), JSON.stringify({
        t: Date.now(), sessionTimeoutSeconds: state.sessionTimeoutMs / 1000 }));
      log("session timeout from the collector:", state.sessionTimeoutMs / 1000, "s");
    }).catch(function (error) {
      log("settings not read (" + error + "); session timeout stays",
          state.sessionTimeoutMs / 1000, "s");
    });
  }

  // ---- queue and delivery --------------------------------------------------------------
  function trim() {
    if (state.queue.length > MAX_QUEUE) {
      var dropped = state.queue.splice(0, state.queue.length - MAX_QUEUE);
      log("queue full: dropped the", dropped.length, "oldest event(s)");
    }
  }

  function enqueue(event) {
    state.queue.push({ event: event, attempts: 0 });
    trim();
    log("queued", event.event_name, event);
    schedulePersist();
    if (!state.initialized) return;
    if (state.queue.length >= state.flushAt && Date.now() >= state.retryAt) flush();
    else schedule(state.flushInterval);
  }

  function schedule(delay) {
    if (state.timer || !state.queue.length) return;
    state.timer = root.setTimeout(function () {
      state.timer = null;
      flush();
    }, delay);
  }

  function reschedule(delay) {
    if (state.timer) root.clearTimeout(state.timer);
    state.timer = null;
    schedule(delay);
  }

  function remove(items) {
    var gone = {};
    items.forEach(function (item) { gone[item.event.event_id] = true; });
    state.queue = state.queue.filter(function (item) { return !gone[item.event.event_id]; });
  }

  function captureUrl() {
    return state.api + "/v1/capture";
  }

  function body(items) {
    // sent_at is stamped at send time: the collector shifts every timestamp by
    // (received_at − sent_at), which corrects a wrong device clock.
    return JSON.stringify({
      batch: items.map(function (item) { return item.event; }),
      sent_at: new Date().toISOString()
    });
  }

  function byteLength(text) {
    try { return new Blob([text]).size; } catch (e) { return text.length * 3; }
  }

  function flush() {
    if (!state.initialized || state.sending || !state.queue.length) return Promise.resolve();
    if (typeof root.fetch !== "function") {
      log("no fetch in this browser: events go out with the page-hide beacon");
      return Promise.resolve();
    }
    if (state.timer) root.clearTimeout(state.timer);
    state.timer = null;
    var items = state.queue.slice(0, MAX_BATCH);
    var payload = body(items);
    state.sending = true;
    return root.fetch(captureUrl(), {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      // keepalive lets the request finish if the page goes away meanwhile (size-capped).
      keepalive: byteLength(payload) < KEEPALIVE_MAX_BYTES,
      headers: { "Content-Type": "application/json", "X-Write-Key": state.writeKey },
      body: payload
    }).then(function (response) {
      return onResponse(response, items);
    }, function (error) {
      onFailure(items, "network error: " + error, null);
    }).then(function () {
      state.sending = false;
      // Written at once, not debounced: a write of the queue may have landed while the batch
      // was in flight, and storage must not go on listing sent events once status() says they
      // are gone (a tab killed meanwhile would leave them for a later page to send again).
      persistNow();
      if (!state.queue.length || Date.now() < state.retryAt) return;
      if (state.queue.length >= state.flushAt) return flush();
      schedule(state.flushInterval);
    });
  }

  function onResponse(response, items) {
    if (response.ok) {
      state.failures = 0;
      state.retryAt = 0;
      remove(items);
      return response.json().then(function (result) {
        log("sent", items.length, "event(s):", result);
        // Rejected events failed validation; sending them again would fail again.
        (result && result.rejected || []).forEach(function (r) {
          log("rejected by the collector:", items[r.index] && items[r.index].event, r.errors);
        });
      }, function () { /* body is not needed */ });
    }
    if (response.status === 429 || response.status >= 500) {
      var retryAfter = parseFloat(response.headers.get("Retry-After")) || 0;
      onFailure(items, "HTTP " + response.status, retryAfter * 1000);
      return;
    }
    // Other 4xx (bad body, unknown key, too large) cannot succeed by retrying: drop the batch.
    remove(items);
    return response.text().then(function (text) {
      log("collector refused", items.length, "event(s) with HTTP " + response.status + ":", text);
    }, function () {});
  }

  function onFailure(items, reason, retryAfterMs) {
    var offline = root.navigator && root.navigator.onLine === false;
    // Offline is not the collector's fault: wait for the "online" event without using up
    // attempts. Otherwise count the attempt and give up on events that keep failing.
    if (!offline) {
      var expired = items.filter(function (item) { return ++item.attempts >= MAX_ATTEMPTS; });
      if (expired.length) {
        remove(expired);
        log("gave up on", expired.length, "event(s) after", MAX_ATTEMPTS, "attempts");
      }
    }
    state.failures += 1;
    // Exponential backoff with "equal jitter": half fixed, half random, so many browsers
    // recovering from the same outage do not retry in lockstep.
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * Math.pow(2, state.failures - 1));
    delay = delay / 2 + Math.random() * delay / 2;
    if (retryAfterMs) delay = Math.min(BACKOFF_MAX_MS, Math.max(delay, retryAfterMs));
    state.retryAt = Date.now() + delay;
    log("send failed (" + reason + "); retrying in", Math.round(delay), "ms");
    reschedule(delay);
  }

  // Page hide: fetches may be cut off, so hand the queue to the browser with sendBeacon. A
  // beacon cannot carry headers, hence the write key in the query string, and a text/plain
  // body so that no CORS preflight is needed (the collector parses JSON whatever the type).
  function flushBeacon() {
    if (!state.initialized) return;
    var nav = root.navigator;
    if (state.queue.length && nav && typeof nav.sendBeacon === "function") {
      var url = captureUrl() + "?write_key=" + encodeURIComponent(state.writeKey);
      // A beacon's "true" means queued, not delivered. When the collector has just been
      // failing, the beacon probably fails too: keep those events stored for the next page.
      var keep = state.failures > 0 || nav.onLine === false;
      var pending = state.queue.slice();
      var sent = [];
      while (pending.length) {
        // Grow the chunk while it fits (100 bytes covers the envelope and sent_at).
        var chunk = [pending.shift()];
        var size = 100 + byteLength(JSON.stringify(chunk[0].event));
        while (pending.length && chunk.length < MAX_BATCH) {
          var next = 1 + byteLength(JSON.stringify(pending[0].event));
          if (size + next >= KEEPALIVE_MAX_BYTES) break;
          size += next;
          chunk.push(pending.shift());
        }
        var ok = false;
        try {
          ok = nav.sendBeacon(url, new Blob([body(chunk)], { type: "text/plain" }));
        } catch (e) {
          ok = false;
        }
        if (!ok) break; // over the browser's quota: the rest stays stored for the next page
        sent = sent.concat(chunk);
      }
      log("beacon:", sent.length, "of", state.queue.length, "event(s)", keep ? "(kept)" : "");
      if (!keep) remove(sent);
    }
    persistNow();
  }

  // ---- public API ----------------------------------------------------------------------
  var api = { __njia: true, VERSION: VERSION };

  api.init = function (writeKey, options) {
    if (typeof writeKey !== "string" || !writeKey) {
      if (root.console) root.console.warn("[njia] analytics.init needs a write key");
      return api;
    }
    options = options || {};
    if (state.initialized) {
      log("init called again; keeping the first configuration");
      return api;
    }
    state.writeKey = writeKey;
    state.api = String(options.apiEndpoint || scriptOrigin).replace(/\/+$/, "");
    state.flushAt = Math.max(1, parseInt(options.flushAt, 10) || 20);
    state.flushInterval = Math.max(10, parseInt(options.flushInterval, 10) || 2000);
    state.debug = !!options.debug;
    state.initialized = true;
    loadSettings();
    adoptPersisted();

    root.document.addEventListener("visibilitychange", function () {
      if (root.document.visibilityState === "hidden") flushBeacon();
    });
    root.addEventListener("pagehide", flushBeacon);
    root.addEventListener("online", function () {
      state.retryAt = 0;
      flush();
    });

    log("initialised", { apiEndpoint: state.api, flushAt: state.flushAt,
                         flushInterval: state.flushInterval, queued: state.queue.length });
    // Events from before init (or adopted from an earlier page) go out now.
    if (state.queue.length) flush();
    return api;
  };

  api.page = function (name, properties) {
    // page(properties) or page(name, properties)
    if (typeof name === "object" && name !== null) {
      properties = name;
      name = null;
    }
    var props = plain(properties, "properties");
    if (typeof name === "string" && name) props.name = name;
    enqueue(buildEvent("page_view", props, null));
    return api;
  };

  api.track = function (name, properties) {
    if (typeof name !== "string" || !name) {
      log("track needs an event name; ignored");
      return api;
    }
    enqueue(buildEvent(name, properties, null));
    return api;
  };

  api.identify = function (id, traits) {
    // identify(traits) updates traits of the current user without changing the id.
    if (typeof id === "object" && id !== null) {
      traits = id;
      id = null;
    }
    if (id !== null && id !== undefined && String(id) !== "") put(local, KEYS.userId, String(id));
    enqueue(buildEvent("identify", null, traits));
    return api;
  };

  // Log out: forget the user and start over as a new anonymous visitor in a new session.
  api.reset = function () {
    put(local, KEYS.userId, null);
    put(local, KEYS.anonymousId, uuid());
    put(session, KEYS.sessionId, null);
    put(session, KEYS.lastActivity, null);
    return api;
  };

  api.flush = function () {
    state.retryAt = 0;
    return flush();
  };

  // Read-only view for debugging and the demo page (does not extend the session).
  api.status = function () {
    return {
      initialized: state.initialized,
      apiEndpoint: state.api,
      queued: state.queue.length,
      sending: state.sending,
      failures: state.failures,
      anonymousId: get(local, KEYS.anonymousId),
      userId: userId(),
      sessionId: sessionId(Date.now(), false),
      sessionTimeoutSeconds: state.sessionTimeoutMs / 1000
    };
  };

  // A snippet may have queued calls in an array before this file loaded: replay them.
  var early = Array.isArray(root.analytics) ? root.analytics : [];
  root.analytics = api;
  early.forEach(function (call) {
    if (call && typeof api[call[0]] === "function") api[call[0]].apply(api, call.slice(1));
  });
})(typeof window !== "undefined" ? window : this);
