"""The HTML pages `rater serve` sends. Everything is local: no font, script or image from elsewhere."""

from __future__ import annotations

import html

APP_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>rater</title>
<link rel="preload" href="/assets/RobotoMono.ttf" as="font" type="font/ttf" crossorigin>
<link rel="stylesheet" href="/assets/xterm.css">
<link rel="stylesheet" href="/assets/rater-serve.css">
</head>
<body data-tap="{tap}">
<div class="dialog-container intro-dialog"><div class="intro">rater: opening your rating session…</div></div>
<div class="dialog-container closed-dialog"><div class="intro">
<p id="closed-message">This session has ended. Everything you typed is kept as a draft.</p>
<button id="restart" type="button">Open it again</button></div></div>
<div id="terminal" class="textual-terminal" data-session-websocket-url="" data-font-size="{font_size}"></div>
<script src="/assets/rater-serve.js"></script>
<script src="/assets/textual.js"></script>
</body>
</html>
"""

MESSAGE_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>rater: {title}</title>
<style>
body {{ background: #0c181f; color: #f0f0f0; font-family: system-ui, sans-serif; margin: 0; }}
main {{ max-width: 36em; margin: 12vh auto; padding: 2em; background: #12232d; line-height: 1.5; }}
h1 {{ font-size: 1.4em; margin-top: 0; }}
</style>
</head>
<body><main><h1>{title}</h1>{paragraphs}</main></body>
</html>
"""

ENTER_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0; url=/">
<title>rater</title>
</head>
<body style="background:#0c181f;color:#f0f0f0;font-family:system-ui,sans-serif">
<p>Opening your rating session… <a href="/" style="color:#9cf">continue</a></p>
</body>
</html>
"""


def message_page(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return MESSAGE_PAGE.format(title=html.escape(title), paragraphs=body)


def app_page(*, tap: bool, font_size: int = 16) -> str:
    return APP_PAGE.format(tap="1" if tap else "0", font_size=font_size)


SCRIPT = """// rater serve: set up the page before textual.js connects (it waits for window.onload).
(function () {
  "use strict";
  var term = document.getElementById("terminal");
  // The websocket is on this page's own address, whatever name or proxy it was reached by.
  var scheme = location.protocol === "https:" ? "wss://" : "ws://";
  term.dataset.sessionWebsocketUrl = scheme + location.host + "/ws";
  var tap = document.body.dataset.tap === "1";
  if (tap) { window.__raterScreen = ""; window.__raterClosed = null; }
  var Native = window.WebSocket;
  function Wrapped(url, protocols) {
    var ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    ws.addEventListener("close", function (e) {
      // The server says why a session ended (idle, opened elsewhere, server stopped...).
      if (e.reason) { document.getElementById("closed-message").textContent = e.reason; }
      if (tap) { window.__raterClosed = e.reason || ""; }
    });
    if (tap) {
      var decoder = new TextDecoder();
      ws.addEventListener("message", function (e) {
        if (typeof e.data !== "string") {
          var text = decoder.decode(new Uint8Array(e.data), {stream: true});
          window.__raterScreen = (window.__raterScreen + text).slice(-600000);
        }
      });
    }
    return ws;
  }
  Wrapped.prototype = Native.prototype;
  ["CONNECTING", "OPEN", "CLOSING", "CLOSED"].forEach(function (k) { Wrapped[k] = Native[k]; });
  window.WebSocket = Wrapped;
  document.getElementById("restart").addEventListener("click", function () { location.reload(); });
  // Keys go to the screen at once, without a first click (textual.js builds it on load).
  window.addEventListener("load", function () {
    setTimeout(function () {
      var area = document.querySelector(".xterm-helper-textarea");
      if (area) { area.focus(); }
    }, 0);
  });
})();
"""

STYLE = """@font-face {
  font-family: "Roboto Mono";
  src: url("/assets/RobotoMono.ttf") format("truetype");
  font-weight: 100 700;
  font-style: normal;
}
body { background: #0c181f; margin: 0; overflow: hidden; }
.dialog-container {
  position: absolute; width: 100vw; height: 100vh; display: flex;
  align-items: center; justify-content: center; z-index: 10;
}
.intro {
  max-width: 640px; min-height: 160px; padding: 24px 32px; font-size: 18px;
  font-family: system-ui, sans-serif; text-align: center; line-height: 1.5;
  color: rgba(255, 255, 255, 0.95); background-color: #12232d;
  display: flex; flex-direction: column; align-items: center; justify-content: center;
}
body.-first-byte .intro-dialog { display: none; }
body .textual-terminal { opacity: 0; transition: opacity 0.3s ease-out; }
body.-first-byte .textual-terminal { opacity: 1; }
.closed-dialog { display: none; }
body.-closed .closed-dialog { display: flex; }
body.-closed .intro-dialog { display: none; }
button {
  padding: 12px 28px; background-color: #5e0ba7; color: #fff; border: none;
  font-size: 16px; margin-top: 16px; cursor: pointer;
}
button:hover { background: #ac5af4; }
"""
