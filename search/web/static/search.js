// Search as you type, without ever searching half-converted kana: nothing
// runs between compositionstart and compositionend (IME conversion); a
// finished composition or plain typing searches after a short pause.
// The page works without this script: the form submits a GET request.
(() => {
  "use strict";
  const DEBOUNCE_MS = 300;
  const form = document.querySelector("form.search");
  const box = form && form.querySelector("input[name=q]");
  if (!box) return;
  let composing = false;
  let timer = 0;
  let pending = null;
  let shown = box.value.trim();

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  };
  box.addEventListener("compositionstart", () => {
    composing = true;
    clearTimeout(timer);
  });
  box.addEventListener("compositionend", () => {
    composing = false;
    schedule();
  });
  box.addEventListener("input", (event) => {
    if (composing || event.isComposing) return;
    schedule();
  });

  async function run() {
    const q = box.value.trim();
    if (composing || q === shown || location.pathname !== "/") return;
    const params = new URLSearchParams(new FormData(form));
    params.set("q", q);
    const url = "/?" + params.toString();
    if (pending) pending.abort();
    pending = new AbortController();
    try {
      const response = await fetch(url, { signal: pending.signal });
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.querySelector("#results");
      if (!fresh || composing) return;
      document.querySelector("#results").replaceWith(fresh);
      document.title = page.title;
      history.replaceState(null, "", url);
      shown = q;
    } catch (err) {
      if (err.name !== "AbortError") console.error(err);
    }
  }
})();
