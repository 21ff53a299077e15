// Clicking a citation marker [n] opens its source card in the sources panel.
// Markers are <a class="cite" href="#cite-<turn>-<n>"> inside chat messages; the
// card is <details id="cite-<turn>-<n>">. One listener on the document (capture
// phase) survives Gradio re-rendering the chat. Without this script, hovering a
// marker still shows the sentence (title attribute) and cards open on click.
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a.cite") : null;
  if (!link) return;
  var card = document.getElementById((link.getAttribute("href") || "").slice(1));
  if (!card) return;
  event.preventDefault();
  for (var el = card; el; el = el.parentElement) {
    if (el.tagName === "DETAILS") el.open = true;  // also unfolds "Earlier" answers
  }
  card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  card.classList.remove("flash");
  void card.offsetWidth;  // restart the animation on a second click
  card.classList.add("flash");
}, true);
