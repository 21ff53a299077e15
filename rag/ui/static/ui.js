// Page behaviour Gradio does not give: the theme switch, plain-text copy and
// screen-reader labels for chat messages, and buttons inside chat messages.
// Listeners sit on the document (Gradio re-renders components freely).
(function () {
  var KEY = "rag-theme";
  var media = window.matchMedia("(prefers-color-scheme: dark)");

  function choice() {
    try { return localStorage.getItem(KEY) || "auto"; } catch (e) { return "auto"; }
  }

  // Auto (the default) follows the OS, live; Light and Dark are remembered in this browser.
  function applyTheme() {
    var c = choice();
    var dark = c === "dark" || (c === "auto" && media.matches);
    if (document.body.classList.contains("dark") !== dark) document.body.classList.toggle("dark", dark);
    document.documentElement.style.colorScheme = dark ? "dark" : "light";
    document.querySelectorAll("[data-theme-choice]").forEach(function (b) {
      var on = String(b.getAttribute("data-theme-choice") === c);
      if (b.getAttribute("aria-checked") !== on) b.setAttribute("aria-checked", on);
    });
  }

  // The plain text of a chat message: what its markup carries in .copy-text, else what it shows.
  function plainText(message) {
    var holder = message.querySelector(".copy-text");
    return holder ? holder.textContent : message.innerText.trim();
  }

  // Gradio labels each message "bot's message: <raw HTML>"; screen readers would read markup.
  function labelMessages() {
    document.querySelectorAll("#chat [data-testid=bot], #chat [data-testid=user]").forEach(function (m) {
      var want = (m.getAttribute("data-testid") === "user" ? "You: " : "Assistant: ") + plainText(m);
      if (m.getAttribute("aria-label") !== want) m.setAttribute("aria-label", want);
    });
    var send = document.querySelector("#question button");
    if (send && send.getAttribute("aria-label") !== "Ask this question") {
      send.setAttribute("aria-label", "Ask this question");
      send.setAttribute("title", "Ask this question (Enter)");
    }
  }

  // The message a chat button belongs to: Gradio puts a message's buttons in the element
  // right after the message's row, so look for the row just before one of the button's ancestors.
  function messageOf(el) {
    for (var up = el; up && up.id !== "chat"; up = up.parentElement) {
      var row = up.previousElementSibling;
      var found = row ? row.querySelectorAll("[data-testid=bot], [data-testid=user]") : [];
      if (found.length === 1) return found[0];
      if (up.querySelectorAll("[data-testid=bot], [data-testid=user]").length) return null;
    }
    return null;
  }

  function writeClipboard(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    var area = document.createElement("textarea");
    area.value = text;
    area.style.position = "fixed";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } finally { area.remove(); }
    return Promise.resolve();
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;
    var theme = target.closest("[data-theme-choice]");
    if (theme) {
      try { localStorage.setItem(KEY, theme.getAttribute("data-theme-choice")); } catch (e) { /* private mode */ }
      applyTheme();
      return;
    }
    var copy = target.closest('#chat button[aria-label="Copy message"]');
    var message = copy && messageOf(copy);
    if (message) {  // copy the plain text, not the markup Gradio would copy
      event.preventDefault();
      event.stopPropagation();
      writeClipboard(plainText(message)).then(function () {
        copy.classList.add("copied");
        copy.setAttribute("title", "Copied");
        setTimeout(function () { copy.classList.remove("copied"); copy.setAttribute("title", "Copy message"); }, 1500);
      });
      return;
    }
    if (target.closest("#chat .clear-filters")) {  // a refusal's button stands for the one under the box
      var clear = document.querySelector("#clear-filters");
      if (clear) clear.click();
    }
  }, true);

  media.addEventListener("change", applyTheme);
  var pending = false;
  new MutationObserver(function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; applyTheme(); labelMessages(); });
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true,
                                          attributeFilter: ["class", "aria-label"] });
  document.addEventListener("DOMContentLoaded", applyTheme);
})();
