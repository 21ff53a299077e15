// Clicking a citation marker [n] opens its source card in the sources panel.
// Markers are <a class="cite" href="#cite-<turn>-<n>"> inside chat messages; the
// card is <details id="cite-<turn>-<n>">. One listener on the document (capture
// phase) survives Gradio re-rendering the chat. Without this script, hovering a
// marker still shows the sentence (title attribute) and cards open on click.
//
// On a phone the sources panel is a drawer over the chat (see chat.css): a marker
// opens it at the card, and closing it (the × button, Escape) goes back to the
// marker that was tapped, so the reader never loses their place in the answer.
(function () {
  var phone = window.matchMedia("(max-width: 768px)");
  var lastMarker = null;

  // The class goes on the column itself: Gradio scopes page CSS inside @media to its container,
  // so a rule keyed on <body> would never match there.
  function drawer() { return document.getElementById("sources-col"); }

  function openDrawer(from) {
    if (!phone.matches || !drawer()) return;
    lastMarker = from;
    drawer().classList.add("open");
    var close = document.querySelector("#sources .drawer-close");
    if (close) close.focus({ preventScroll: true });
  }

  function closeDrawer() {
    if (!drawer() || !drawer().classList.contains("open")) return;
    drawer().classList.remove("open");
    if (lastMarker && document.body.contains(lastMarker)) {
      lastMarker.scrollIntoView({ block: "center" });
      lastMarker.focus({ preventScroll: true });
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) return;
    if (event.target.closest(".drawer-close")) {
      closeDrawer();
      return;
    }
    var opener = event.target.closest("a.open-sources");
    if (opener) {
      event.preventDefault();
      openDrawer(opener);
      if (!phone.matches) document.getElementById("sources").scrollIntoView({ block: "nearest" });
      return;
    }
    var link = event.target.closest("a.cite");
    if (!link) return;
    var card = document.getElementById((link.getAttribute("href") || "").slice(1));
    if (!card) return;
    event.preventDefault();
    for (var el = card; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;  // also unfolds "Earlier" answers
    }
    openDrawer(link);
    card.scrollIntoView({ block: "nearest", behavior: phone.matches ? "auto" : "smooth" });
    card.classList.remove("flash");
    void card.offsetWidth;  // restart the animation on a second click
    card.classList.add("flash");
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeDrawer();
  });
})();
