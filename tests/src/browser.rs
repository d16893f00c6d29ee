//! Headless Chromium for browser tests (filled in with the browser tests).
