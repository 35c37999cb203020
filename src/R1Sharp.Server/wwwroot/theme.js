// Applies the saved (or the system's) colour theme before the page paints, so it never flashes.
(function () {
  var saved = null;
  try { saved = localStorage.getItem('r1.theme'); } catch (e) { /* storage disabled */ }
  var dark = saved ? saved === 'dark' : window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
})();
