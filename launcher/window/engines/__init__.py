"""The web engines the window runs on: Qt WebEngine (Linux) and pywebview's generic path (WebView2,
WKWebView). One is picked once, at start; nothing else asks which one runs."""
