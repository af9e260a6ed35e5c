/* pm_pipeline's script for the Great Expectations Data Docs, loaded last by every page: it gives
   what bootstrap-table draws the names and keyboard access axe-core asks for (WCAG 2.2 AA). */
window.jQuery(function ($) {
  // each filter box of the index's table is named after its column (the extension gives none)
  function nameFilters() {
    $("th").each(function () {
      var title = $(this).find(".th-inner").first().text().trim();
      $(this).find(".filter-control input, .filter-control select").attr("aria-label", "Filter by " + title);
    });
  }
  // a table too wide for the screen scrolls in a region the keyboard can reach, named after its section
  function reachScrolling() {
    $(".fixed-table-body, .table-responsive").each(function () {
      var scrolls = this.scrollWidth > this.clientWidth + 1;
      var heading = $(this).closest(".ge-section").find("h5, h6").first().text().trim();
      if (scrolls) {
        $(this).attr({ tabindex: "0", role: "region", "aria-label": (heading || "Table") + ", scrolls sideways" });
      } else if ($(this).attr("role") === "region") {
        $(this).removeAttr("tabindex role aria-label");
      }
    });
  }
  function fix() {
    nameFilters();
    reachScrolling();
  }
  fix();
  $("table").on("post-header.bs.table created-controls.bs.table post-body.bs.table", fix);
  $(window).on("resize", reachScrolling);
});
