// The typeahead of spink/typeahead.py: htmx fills the listbox with options as the user types;
// this lets the user choose one with the mouse or the keyboard (ArrowDown/ArrowUp move, Enter
// chooses, Escape closes) and puts its id in the hidden input. Without it the typed text is
// posted and resolved on the server. Served from static: the Content-Security-Policy forbids
// inline scripts.
(function () {
  "use strict";

  function parts(element) {
    var root = element && element.closest ? element.closest("[data-typeahead]") : null;
    if (!root) {
      return null;
    }
    return {
      root: root,
      input: root.querySelector("[role=combobox]"),
      hidden: root.querySelector("[data-typeahead-id]"),
      listbox: root.querySelector("[role=listbox]"),
    };
  }

  function options(box) {
    return Array.prototype.slice.call(
      box.listbox.querySelectorAll("[role=option]:not([aria-disabled=true])")
    );
  }

  function close(box) {
    box.listbox.hidden = true;
    box.input.setAttribute("aria-expanded", "false");
    box.input.removeAttribute("aria-activedescendant");
  }

  function open(box) {
    var all = box.listbox.querySelectorAll("[role=option]");
    if (!all.length) {
      close(box);
      return;
    }
    for (var i = 0; i < all.length; i++) {
      all[i].id = box.listbox.id + "-" + i;
      all[i].setAttribute("aria-selected", "false");
    }
    box.listbox.hidden = false;
    box.input.setAttribute("aria-expanded", "true");
    box.input.removeAttribute("aria-activedescendant");
  }

  function activate(box, option) {
    options(box).forEach(function (each) {
      each.setAttribute("aria-selected", each === option ? "true" : "false");
      each.classList.toggle("typeahead__option--active", each === option);
    });
    box.input.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }

  function active(box) {
    var id = box.input.getAttribute("aria-activedescendant");
    return id ? document.getElementById(id) : null;
  }

  function choose(box, option) {
    box.hidden.value = option.getAttribute("data-value");
    box.input.value = option.textContent;
    close(box);
    box.input.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (!event.target.matches || !event.target.matches("[data-typeahead] [role=combobox]")) {
      return;
    }
    var box = parts(event.target);
    var list = options(box);
    var current = active(box);
    var index = current ? list.indexOf(current) : -1;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!list.length) {
        return;
      }
      event.preventDefault();
      if (box.listbox.hidden) {
        open(box);
        index = -1;
      }
      var step = event.key === "ArrowDown" ? 1 : -1;
      activate(box, list[(index + step + list.length) % list.length]);
    } else if (event.key === "Enter") {
      if (!box.listbox.hidden && current) {
        event.preventDefault();
        choose(box, current);
      }
    } else if (event.key === "Escape") {
      if (!box.listbox.hidden) {
        event.preventDefault();
        close(box);
      }
    }
  });

  // Typing anew: the earlier choice no longer holds (the server resolves the text instead).
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-typeahead] [role=combobox]")) {
      parts(event.target).hidden.value = "";
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest ? event.target.closest("[data-typeahead] [role=option]") : null;
    if (option && option.getAttribute("aria-disabled") !== "true") {
      event.preventDefault();
      choose(parts(option), option);
    }
  });

  document.addEventListener("focusout", function (event) {
    var box = parts(event.target);
    if (box && !(event.relatedTarget && box.root.contains(event.relatedTarget))) {
      close(box);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.matches || !target.matches("[data-typeahead] [role=listbox]")) {
      return;
    }
    var box = parts(target);
    // An answer arriving after a choice (or after focus left) opens nothing.
    if (box.hidden.value || document.activeElement !== box.input) {
      close(box);
    } else {
      open(box);
    }
  });
})();
