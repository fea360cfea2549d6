/* The menu buttons on every width.
 *
 * pydata-sphinx-theme 0.17 and sphinx-book-theme 1.3 bind their click handlers (open the sidebar
 * as a dialog below 992 px; collapse it at and above 992 px) to the FIRST `.primary-toggle` /
 * `.secondary-toggle` in the page, which the book layout hides; the buttons a reader sees get no
 * handler (pydata-sphinx-theme issue #2451). Until the themes fix it, a click on any other toggle
 * is forwarded to the first one, so the themes' own code does the work at every width.
 */
document.addEventListener("DOMContentLoaded", () => {
  for (const selector of [".primary-toggle", ".secondary-toggle"]) {
    const [bound, ...others] = document.querySelectorAll(selector);
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopImmediatePropagation();
        button.blur();
        bound.click();
      }, true);
    }
  }
});
