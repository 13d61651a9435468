/* The admin's script: the page tree's on-demand children, the task monitor's live status,
 * actions sent to the task API, and Run now (call `run` until the task is done or the page
 * is closed). Plain JavaScript, no library, nothing loaded from elsewhere.
 *
 * HTML that the server sends (tree fragments, status_html) was rendered with escaping; text
 * that arrives as data (log lines) is only ever set with textContent.
 */
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";
  var API = "/admin/tasks/api";
  var ACTIVE = 1;

  function api(cmd, id, method, extra) {
    var url = API + "?id=" + encodeURIComponent(id) + "&cmd=" + encodeURIComponent(cmd) + (extra || "");
    return fetch(url, {
      method: method,
      headers: {"X-CSRF-Token": csrfToken, "Accept": "application/json"},
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.json().then(function (data) {
        data.httpStatus = response.status;
        return data;
      });
    });
  }

  function fromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  /* -- forms: confirmations and task actions ------------------------------------------ */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question) {
      if (!window.confirm(question)) {
        event.preventDefault();
        return;
      }
      // Said yes here: the server does not ask again on a page of its own.
      if (!form.querySelector("input[name=confirmed]")) {
        var yes = document.createElement("input");
        yes.type = "hidden";
        yes.name = "confirmed";
        yes.value = "1";
        form.appendChild(yes);
      }
    }
    // A task's actions go to the API and the new status is swapped in; Run now opens the
    // task's page (its button posts to /run), and Trash on that page goes to the list, which
    // says what was trashed: both are left to the browser.
    var leaves = button && (button.value === "run" ||
                            button.value === "trash" && document.getElementById("task-detail"));
    if (form.classList.contains("task-status") && button && button.value && !leaves) {
      event.preventDefault();
      var id = form.getAttribute("data-task-id");
      form.classList.add("busy");
      api(button.value, id, "POST", "&log=0").then(function (data) {
        delete data.log;        // none was asked for: this empty list says nothing of the log
        showStatus(id, data);
        if (!data.status) { showError(data.result); }
      }).catch(function () {
        form.classList.remove("busy");
        showError("The server did not answer.");
      });
    }
  });

  function showError(text) {
    var box = document.getElementById("task-error");
    if (!box) {
      box = document.createElement("p");
      box.id = "task-error";
      box.className = "notice notice-error";
      box.setAttribute("role", "alert");
      var main = document.querySelector("main");
      main.insertBefore(box, main.firstChild);
    }
    box.textContent = text;
    return box;
  }

  // A poll of the task screens that is refused (the login ended in another tab, the user's
  // roles changed) says so, where the screen went on as if live while it stood still; the
  // first poll answered again takes the message away (not another error said since in its box).
  var refused = null;
  function pollRefused(data) {
    var text = "Not updated any more: " + (data.message || "the server refused") + ".";
    refused = {box: showError(text), text: text};
  }
  function pollAnswered() {
    if (refused && refused.box.textContent === refused.text) { refused.box.remove(); }
    refused = null;
  }

  /* -- the page editor and Profile ask before they are left with changes not saved ------- */
  /* As ProcessWire's InputfieldFormConfirm forms: a form marked data-confirm-leave that was
     changed, and not sent, has the browser ask before the page goes (a link, the menu, a
     reload). A save refused (a field, or a form expired) came back holding what was typed,
     not saved (data-unsaved): changed already. */
  var unsaved = [];
  document.querySelectorAll("form[data-confirm-leave]").forEach(function (form) {
    if (form.hasAttribute("data-unsaved")) { unsaved.push(form); }
    ["input", "change"].forEach(function (type) {
      form.addEventListener(type, function () {
        if (unsaved.indexOf(form) < 0) { unsaved.push(form); }
      });
    });
    form.addEventListener("submit", function (event) {
      if (!event.defaultPrevented) { unsaved = unsaved.filter(function (f) { return f !== form; }); }
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (unsaved.length) {
      event.preventDefault();
      event.returnValue = "";           // the browser words the question itself
    }
  });

  /* -- a refused form's error summary: a link hands the focus to its field's input ------- */
  /* It leads to the message under the input, which takes no focus: Tab would go on from
     there, to the next field. The field's box comes into view from its label down. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".error-summary a[href^='#']");
    var message = link && document.getElementById(link.getAttribute("href").slice(1));
    var box = message && message.closest(".field");
    var input = box && box.querySelector("input:not([type=hidden]), select, textarea");
    if (!input) { return; }
    event.preventDefault();
    box.scrollIntoView({block: "start"});
    input.focus({preventScroll: true});
  });

  /* -- Setup > Fields: show the settings of the chosen type (the page shows them all) ---- */
  var typeSelect = document.querySelector("#field-form select[name=type]");
  function showTypeSettings() {
    document.querySelectorAll("#type-settings .setting").forEach(function (box) {
      box.hidden = box.getAttribute("data-types").split(" ").indexOf(typeSelect.value) < 0;
    });
  }
  if (typeSelect) {
    typeSelect.addEventListener("change", showTypeSettings);
    showTypeSettings();
  }

  /* -- Setup > Templates: fields moved up, down or taken away before Save ---------------- */
  var fieldOrder = document.getElementById("template-fields");
  if (fieldOrder) {
    fieldOrder.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-move]");
      if (!button) { return; }
      var item = button.closest("li");
      var how = button.getAttribute("data-move");
      if (how === "up" && item.previousElementSibling) {
        fieldOrder.insertBefore(item, item.previousElementSibling);
      } else if (how === "down" && item.nextElementSibling) {
        fieldOrder.insertBefore(item.nextElementSibling, item);
      } else if (how === "remove") {
        // the focus goes with the row otherwise: to the next row's remove, else the one before
        var neighbour = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        var next = neighbour && neighbour.querySelector('button[data-move="remove"]');
        if (!next) { fieldOrder.setAttribute("tabindex", "-1"); }
        (next || fieldOrder).focus();
        return;
      }
      button.focus();
    });
  }

  /* -- the page tree ------------------------------------------------------------------- */
  function childrenUrl(list, parentId, query) {
    var tree = list.closest(".tree");
    var pick = tree && tree.getAttribute("data-pick");
    return "/admin/page/" + parentId + "/children?" + query + (pick ? "&pick=" + pick : "");
  }

  // A refusal (the login ended in another tab, a page gone) is said, in the server's words
  // when it sent them (JSON), and the branch stays unloaded: opened again, it asks again.
  function loadChildren(list, parentId, start, query, replace) {
    list.classList.add("loading");
    var url = childrenUrl(list, parentId, query || ("start=" + start));
    return fetch(url, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) {
        if (response.ok) { return response.text(); }
        return response.json().catch(function () { return {}; }).then(function (data) {
          throw new Error(data.message || "the server answered " + response.status);
        });
      })
      .then(function (html) {
        if (replace) { list.replaceChildren(); }
        list.appendChild(fromHtml(html));
        list.setAttribute("data-loaded", "1");
      })
      .catch(function (error) {
        showError("The pages were not loaded: " + error.message + ".");
      })
      .then(function () { list.classList.remove("loading"); });
  }

  /* Open or close a branch; opened for the first time, its children load (page `number` of
     them when given, with the filter and page box, else the first rows). */
  function toggle(node, open, number) {
    var list = node.querySelector(":scope > ul.tree-children");
    var button = node.querySelector(":scope > .tree-row .tree-toggle");
    if (!list) { return Promise.resolve(); }
    var opening = open === undefined ? list.hidden : open;
    list.hidden = !opening;
    node.classList.toggle("open", opening);
    if (button) { button.setAttribute("aria-expanded", opening ? "true" : "false"); }
    if (opening && !list.getAttribute("data-loaded")) {
      return loadChildren(list, node.getAttribute("data-id"), 0, number > 1 ? "page=" + number : "");
    }
    return Promise.resolve();
  }

  /* The toggle is a button to assistive technology (a link without a script): Space too. */
  document.addEventListener("keydown", function (event) {
    var toggler = event.key === " " && event.target.closest && event.target.closest(".tree-toggle");
    if (toggler) {
      event.preventDefault();           /* a button's key, not a scroll of the page */
      toggler.click();
    }
  });

  document.addEventListener("click", function (event) {
    var toggler = event.target.closest(".tree-toggle");
    if (toggler) {
      event.preventDefault();
      toggle(toggler.closest(".tree-node"));
      return;
    }
    var more = event.target.closest(".tree-more a.more");
    if (more) {
      event.preventDefault();
      var item = more.closest(".tree-more");
      var list = item.parentNode;
      var shown = list.querySelectorAll(":scope > li.tree-node").length;
      var focused = document.activeElement === more;
      item.remove();
      var q = more.getAttribute("data-q");
      loadChildren(list, more.getAttribute("data-parent"), 0,
                   "start=" + more.getAttribute("data-start") + (q ? "&q=" + encodeURIComponent(q) : ""))
        .then(function () {
          // the link pressed is gone: the focus goes to the first row it brought
          var first = list.querySelectorAll(":scope > li.tree-node")[shown];
          if (focused && first) { focusIn(first.querySelector(":scope > .tree-row")); }
        });
    }
  });

  /* The first control of a row (or other part of the tree) that takes the focus. */
  function focusIn(box) {
    var target = box && box.querySelector("a[href], input:not([type=hidden]), button:not([hidden])");
    if (target) { target.focus(); }
  }

  /* A long list's filter and page jump load into the list instead of leaving the tree. The
     form is part of the list it replaces: the focus goes back to the same input or button. */
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form.tree-filter");
    var list = form && form.closest("ul.tree-children");
    if (!list) { return; }       /* a page of children of its own: the browser sends the form */
    event.preventDefault();
    var data = new URLSearchParams(new FormData(form));
    data.delete("pick");
    var had = form.contains(document.activeElement) ? document.activeElement : null;
    var same = had && (had.name ? '[name="' + had.name + '"]' : had.tagName.toLowerCase());
    loadChildren(list, form.getAttribute("data-parent"), 0, data.toString(), true)
      .then(function () {
        var again = same && list.querySelector("form.tree-filter " + same);
        if (again) { again.focus(); }
      });
  });

  /* Open branches are remembered in this browser across reloads. */
  var OPEN_KEY = "cms-tree-open";
  function rememberedOpen() {
    try { return JSON.parse(window.localStorage.getItem(OPEN_KEY) || "[]"); } catch (e) { return []; }
  }
  function remember(id, open) {
    var ids = rememberedOpen().filter(function (known) { return known !== id; });
    if (open) { ids.push(id); }
    try { window.localStorage.setItem(OPEN_KEY, JSON.stringify(ids.slice(-200))); } catch (e) { /* full */ }
  }
  document.addEventListener("click", function (event) {
    var toggler = event.target.closest("#page-tree:not([data-pick]) .tree-toggle");
    if (toggler) {
      var node = toggler.closest(".tree-node");
      remember(node.getAttribute("data-id"), !node.classList.contains("open"));
    }
  }, true);
  function reopen(tree) {
    var chain = Promise.resolve();
    rememberedOpen().forEach(function (id) {
      chain = chain.then(function () {
        var node = tree.querySelector('.tree-node[data-id="' + id + '"]');
        return node && !node.classList.contains("open") ? toggle(node, true) : null;
      });
    });
    return chain;
  }

  /* Drag a row among its siblings; the new order of the loaded siblings is saved at once. */
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest("li.tree-node[draggable=true]");
    if (!item) { return; }
    dragged = item;
    item.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.getAttribute("data-id"));
  });
  document.addEventListener("dragover", function (event) {
    var over = event.target.closest && event.target.closest("li.tree-node");
    if (!dragged || !over || over === dragged || over.parentNode !== dragged.parentNode) { return; }
    event.preventDefault();
    var box = over.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    over.parentNode.insertBefore(dragged, after ? over.nextSibling : over);
  });
  document.addEventListener("drop", function (event) {
    if (dragged) { event.preventDefault(); }
  });
  document.addEventListener("dragend", function () {
    if (!dragged) { return; }
    var list = dragged.parentNode;
    dragged.classList.remove("dragging");
    dragged = null;
    markEnds(list);
    saveOrder(list);
  });
  /* The first sibling shows no ↑ and the last no ↓: after a drag, the rows now at the ends. */
  function markEnds(list) {
    var rows = list.querySelectorAll(":scope > li.tree-node");
    ["up", "down"].forEach(function (way) {
      var buttons = Array.prototype.map.call(rows, function (row) {
        return row.querySelector(':scope > .tree-row .shift button[value="' + way + '"]');
      });
      if (!buttons.some(function (b) { return b && b.hidden; })) { return; }   // no end shown here
      var end = way === "up" ? 0 : buttons.length - 1;
      buttons.forEach(function (b, i) { if (b) { b.hidden = i === end; } });
    });
  }
  function saveOrder(list) {
    var ids = Array.prototype.map.call(list.querySelectorAll(":scope > li.tree-node"),
                                       function (item) { return item.getAttribute("data-id"); });
    var body = new URLSearchParams({order: ids.join(","), csrf_token: csrfToken});
    return fetch("/admin/page/" + list.getAttribute("data-parent") + "/sort", {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-Requested-With": "fetch", "X-CSRF-Token": csrfToken}
    }).then(function (response) { return response.json(); }).then(function (data) {
      if (!data.status) { showError(data.message || "The new order was not saved."); }
      list.setAttribute("data-saved-order", ids.join(","));
    }).catch(function () { showError("The server did not answer; the order was not saved."); });
  }

  /* ↑ and ↓ post a form and the tree comes back: the focus returns to the button pressed
     (to the other one when the row has reached that end), so the next press moves it on. */
  var SHIFTED_KEY = "cms-tree-shifted";
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form.shift");
    var button = event.submitter;
    if (!form || !button) { return; }
    try {
      window.sessionStorage.setItem(SHIFTED_KEY, form.closest(".tree-node").getAttribute("data-id") +
                                    " " + button.value);
    } catch (e) { /* storage refused: the focus starts at the top */ }
  });
  function refocusShifted(row, id) {
    var shifted;
    try {
      shifted = (window.sessionStorage.getItem(SHIFTED_KEY) || "").split(" ");
      window.sessionStorage.removeItem(SHIFTED_KEY);
    } catch (e) { return; }
    if (shifted[0] !== id) { return; }
    var way = row.querySelector('.shift button[value="' + shifted[1] + '"]:not([hidden])');
    var other = row.querySelector(".shift button:not([hidden])");
    if (way || other) { (way || other).focus(); }
  }

  /* The branches down to the page `open=` names, each on the page of its children that
     holds the next one (data-open-pages): a branch opened already (remembered) on another
     page of them is loaded again on that one. */
  function openPath(tree) {
    var ids = (tree.getAttribute("data-open") || "").split(",").filter(Boolean);
    var numbers = (tree.getAttribute("data-open-pages") || "").split(",");
    var chain = Promise.resolve();
    ids.forEach(function (id, i) {
      chain = chain.then(function () {
        var node = tree.querySelector('.tree-node[data-id="' + id + '"]');
        if (!node) { return null; }
        node.classList.add("highlight");
        var number = parseInt(numbers[i], 10) || 1;
        return toggle(node, true, number).then(function () {
          var list = node.querySelector(":scope > ul.tree-children");
          var next = ids[i + 1];
          if (next && list && !list.querySelector(':scope > li.tree-node[data-id="' + next + '"]')) {
            return loadChildren(list, id, 0, "page=" + number, true);
          }
          return null;
        });
      });
    });
    chain.then(function () {
      var last = ids[ids.length - 1];
      var row = last && document.getElementById("page-" + last);
      if (row) {
        row.classList.add("target");
        row.scrollIntoView({block: "center"});
        refocusShifted(row, last);
      }
    });
  }

  /* -- task status --------------------------------------------------------------------- */
  // The state a live region says a change of: the state's number, and for a state set while
  // a step runs whether it still runs, so "suspending" then "waiting" (killing, killed ...)
  // are two; an active task's steps starting and ending ("running", "ready to run") are not
  // (a worker's task would be said at every step).
  function heardState(status) {
    var state = status.getAttribute("data-state");
    var stopping = Number(state) !== ACTIVE && status.getAttribute("data-running") === "1";
    return state + (stopping ? " running" : "");
  }

  function showStatus(id, data) {
    var current = document.querySelectorAll('.task-status[data-task-id="' + id + '"]');
    current.forEach(function (status) {
      if (data.status_html === "" && data.status) {
        var row = status.closest("tr") || status;
        row.remove();
        countChange(status.getAttribute("data-state"), null);
        scheduledChange(status, null);
        return;
      }
      if (data.status_html) {
        var fresh = fromHtml(data.status_html);
        var form = fresh.firstElementChild;
        // Unchanged, it stays (a button tabbed to keeps the focus between polls); changed,
        // the focus moves to the same action in the new row, else to its title.
        if (form && form.outerHTML === status.outerHTML) { return; }
        var focused = status.contains(document.activeElement) ? document.activeElement : null;
        var to = form && form.getAttribute("data-state");
        if (to) {
          countChange(status.getAttribute("data-state"), to);
          scheduledChange(status, form);
          if (heardState(form) !== heardState(status)) { heardChange(form); }
        }
        status.replaceWith(fresh);
        var row = form && form.closest("#task-list tr");
        if (row) { describeLeft(row); }
        if (focused && form) {
          var same = focused.value && form.querySelector('button[value="' + focused.value + '"]');
          var target = same || form.querySelector(".task-title");
          if (target) { target.focus(); }
        }
      } else {
        status.classList.remove("busy");
      }
    });
    if (data.status && data.log && data.log.length !== undefined) { showLog(data.log); }
  }

  // The task list says in its polite live region which rows changed state in a poll ("Import
  // the dictionary: finished"), all in one message; progress alone is not read out. Only the
  // list keeps them: the task page announces its own (announceTask). Each is kept as [task
  // id, text], so a row that left the list's filter in the same poll adds to its state's
  // message ("...: finished, no longer active").
  var heardChanges = [];

  function heardChange(form, prefix) {
    if (!document.getElementById("tasks-announce")) { return; }
    var title = form.querySelector(".task-title");
    var label = form.querySelector(".state");
    heardChanges.push([form.getAttribute("data-task-id"),
                       (prefix || "") + (title ? title.textContent.trim() + ": " : "") +
                       (label ? label.textContent.trim() : "")]);
  }

  function heardLeft(row, words) {
    var id = row.getAttribute("data-task-id");
    var heard = heardChanges.filter(function (change) { return change[0] === id; })[0];
    var title = row.querySelector(".task-title");
    if (heard) {
      heard[1] += ", " + words;
    } else {
      heardChanges.push([id, (title ? title.textContent.trim() + ": " : "") + words]);
    }
  }

  function sayChanges() {
    var live = document.getElementById("tasks-announce");
    if (live && heardChanges.length) {
      live.textContent = heardChanges.map(function (change) { return change[1]; }).join("; ");
    }
    heardChanges = [];
  }

  // A row whose task left the list's filter or search (the poll's `left`) stays where it is,
  // under the user's pointer and focus, until a reload drops it; it no longer looks like the
  // rows that match (left-filter), its note says why, its controls are described by the note,
  // and the live region says it once. A task back in the filter loses the mark.
  function markLeft(table, left) {
    var words = table.getAttribute("data-left-note");
    if (!words) { return; }              // the list of every task: none leaves it
    table.querySelectorAll("tbody tr[data-task-id]").forEach(function (row) {
      var out = left.indexOf(Number(row.getAttribute("data-task-id"))) >= 0;
      var note = row.querySelector(".left-note");
      if (out === !!note) { return; }
      if (out) {
        note = document.createElement("p");
        note.className = "left-note";
        note.id = "left-note-" + row.getAttribute("data-task-id");
        note.textContent = words;
        row.cells[0].appendChild(note);
        heardLeft(row, table.getAttribute("data-left-said"));
      } else {
        note.remove();
      }
      row.classList.toggle("left-filter", out);
      describeLeft(row);
    });
  }

  // A row's controls are described by its note (a status swapped in comes without it).
  function describeLeft(row) {
    var note = row.querySelector(".left-note");
    row.querySelectorAll("a[href], button").forEach(function (control) {
      if (note) {
        control.setAttribute("aria-describedby", note.id);
      } else {
        control.removeAttribute("aria-describedby");
      }
    });
  }

  // The task list's filter counts follow the rows the list updates live, between the polls
  // that bring them all (showCounts): a row that moves from one state to another moves one
  // from its old count to its new one; a row dropped (trashed: `to` null) takes one from its
  // state's count and from all, a row come in (`from` null) adds one to both.
  function countChange(from, to) {
    if (from === to) { return; }
    var changes = !from ? [[to, 1], ["all", 1]] : to ? [[from, -1], [to, 1]] : [[from, -1], ["all", -1]];
    changes.forEach(function (change) { addToCount(change[0], change[1]); });
  }

  // "scheduled" counts the active rows whose time is ahead (data-scheduled), beside "active":
  // a row whose time came (or that left, came in, or became scheduled) moves that count too.
  function scheduledChange(before, after) {
    var was = !!before && before.getAttribute("data-scheduled") === "1";
    var is = !!after && after.getAttribute("data-scheduled") === "1";
    if (was !== is) { addToCount("scheduled", is ? 1 : -1); }
  }

  // The counts a poll brought, read with the rows' statuses it brought: they replace those
  // the rows' changes moved (the same, unless a task not shown changed).
  function showCounts(counts) {
    Object.keys(counts).forEach(function (key) {
      var count = document.querySelector('.filters [data-count-state="' + key + '"]');
      if (count) { count.textContent = String(counts[key]); }
    });
  }

  function addToCount(key, change) {
    var count = document.querySelector('.filters [data-count-state="' + key + '"]');
    if (count) { count.textContent = String(Math.max(0, parseInt(count.textContent, 10) + change)); }
  }

  // The log follows its newest line, as a terminal does, unless the reader scrolled up.
  function atLogEnd(log) { return log.scrollHeight - log.scrollTop - log.clientHeight < 24; }

  // Lines already shown stay (a selection in them, a traceback being copied, survives the
  // polls): new lines are appended; a log at its cap (log_max_lines: its first lines, one
  // saying how many were dropped, the latest) changes that one line and slides its tail. It
  // is rebuilt only when it changed otherwise (a reset, which empties it).
  function showLog(lines) {
    var log = document.getElementById("task-log");
    if (!log) { return; }
    var shown = Array.prototype.map.call(log.children, function (item) { return item.textContent; });
    var same = 0;
    while (same < shown.length && same < lines.length && shown[same] === lines[same]) { same++; }
    if (same === shown.length && same === lines.length) { return; }
    var following = atLogEnd(log);
    var change = logChange(shown, lines, same);
    var items = document.createDocumentFragment();
    lines.slice(change ? change.add : 0).forEach(function (line) {
      var item = document.createElement("li");
      item.textContent = line;
      items.appendChild(item);
    });
    if (!change) {
      log.replaceChildren(items);
    } else {
      if (change.edit >= 0) { log.children[change.edit].textContent = lines[change.edit]; }
      for (var gone = 0; gone < change.drop; gone++) { log.children[change.edit + 1].remove(); }
      log.appendChild(items);
    }
    if (following) { log.scrollTop = log.scrollHeight; }
  }

  // How the lines a poll brings follow those shown, the first `same` alike: {edit: the one
  // line that changed after them (-1: none), drop: how many shown after it went, add: the
  // first line to append}; null when they do not follow (the log is shorter: a reset).
  function logChange(shown, lines, same) {
    if (same === shown.length) { return {edit: -1, drop: 0, add: same}; }
    var after = same + 1;
    if (after > lines.length) { return null; }
    var tail = shown.length - after;
    for (var drop = 0; drop < tail; drop++) {
      var kept = tail - drop;
      if (after + kept > lines.length || shown[after + drop] !== lines[after]) { continue; }
      var fits = true;
      for (var i = 1; i < kept && fits; i++) { fits = shown[after + drop + i] === lines[after + i]; }
      if (fits) { return {edit: same, drop: drop, add: after + kept}; }
    }
    return {edit: same, drop: tail, add: after};
  }

  // Every row of the list in one request every 2 s (one query on the server), so a task
  // started, suspended or finished anywhere shows within a round; the list's URL goes with
  // them, and the rows its page lacks (tasks created, or come into its filter) come back,
  // and, every round or every few (data-counts-every: a search costs more), the counts of
  // its filter links, which tasks the page does not show move too.
  function pollList(table) {
    var listed = encodeURIComponent(table.getAttribute("data-list") || "/admin/tasks/");
    var countsEvery = Number(table.getAttribute("data-counts-every")) || 1;
    var rounds = 0;
    function round() {
      var ids = [];
      table.querySelectorAll(".task-status").forEach(function (status) {
        ids.push(status.getAttribute("data-task-id"));
      });
      if (document.hidden) { setTimeout(round, 3000); return; }
      rounds += 1;
      var counts = rounds % countsEvery === 0 ? "&counts=1" : "";
      fetch("/admin/tasks/statuses?ids=" + ids.join(",") + "&list=" + listed + counts, {
        headers: {"Accept": "application/json"}, credentials: "same-origin", cache: "no-store"
      }).then(function (response) { return response.json(); }).then(function (data) {
        if (!data.status) { pollRefused(data); return; }
        pollAnswered();
        Object.keys(data.tasks).forEach(function (id) {
          showStatus(id, data.tasks[id]);
          var modified = document.querySelector('#task-list tr[data-task-id="' + id + '"] td[data-label="modified"]');
          if (modified && data.tasks[id].modified) { modified.textContent = data.tasks[id].modified; }
        });
        data.gone.forEach(function (id) { showStatus(String(id), {status: true, status_html: ""}); });
        if (data.rows) { addRows(table, fromHtml(data.rows), data.order); }
        markLeft(table, data.left || []);
        if (data.counts) { showCounts(data.counts); }
        sayChanges();
      }).catch(function () {}).then(function () { setTimeout(round, 2000); });
    }
    setTimeout(round, 2000);
  }

  // Each row the poll brought goes before the first row shown that follows it in the list's
  // order (`order`: the ids of its page), counted in its state and said in the live region;
  // a list shown empty shows its table.
  function addRows(table, fresh, order) {
    var body = table.tBodies[0];
    Array.prototype.forEach.call(fresh.querySelectorAll("tr[data-task-id]"), function (row) {
      var id = Number(row.getAttribute("data-task-id"));
      if (body.querySelector('tr[data-task-id="' + id + '"]')) { return; }
      var next = null;
      for (var i = order.indexOf(id) + 1; i < order.length && !next; i++) {
        next = body.querySelector('tr[data-task-id="' + order[i] + '"]');
      }
      body.insertBefore(row, next);
      var status = row.querySelector(".task-status");
      if (!status) { return; }
      countChange(null, status.getAttribute("data-state"));
      scheduledChange(null, status);
      heardChange(status, "New: ");
      var range = document.querySelector(".pager .range");
      if (range) {
        ["to", "total"].forEach(function (key) { range.dataset[key] = String(Number(range.dataset[key]) + 1); });
        range.textContent = range.dataset.from + "–" + range.dataset.to + " of " + range.dataset.total;
      }
    });
    table.hidden = !body.rows.length;
    var none = document.getElementById("tasks-none");
    if (none && body.rows.length) { none.hidden = true; }
  }

  function refreshPanel(id) {
    var panel = document.getElementById("task-panel");
    if (!panel) { return; }
    // X-Requested-With: refused (the login ended), the answer is JSON, not the login page
    fetch("/admin/tasks/" + id + "/panel", {
      credentials: "same-origin", cache: "no-store", headers: {"X-Requested-With": "fetch"}
    })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { replaceWhenUnfocused(panel, html); } })
      .catch(function () {});
  }

  // A box re-sent by the server is re-drawn only while the focus is elsewhere: a keyboard or
  // screen reader user reading the task's facts keeps their place (the element they are on
  // would go, and the focus with it), and gets the latest as soon as they leave the box.
  function replaceWhenUnfocused(box, html) {
    box.pendingHtml = html;
    if (!box.contains(document.activeElement)) {
      box.replaceChildren(fromHtml(html));
      return;
    }
    if (box.waitsForFocusOut) { return; }
    box.waitsForFocusOut = true;
    box.addEventListener("focusout", function left() {
      setTimeout(function () {        // the focus has moved on by then (or the window lost it)
        if (box.contains(document.activeElement)) { return; }
        box.removeEventListener("focusout", left);
        box.waitsForFocusOut = false;
        box.replaceChildren(fromHtml(box.pendingHtml));
      }, 0);
    });
  }

  // The task page says a new state ("Import: finished, 100%") and every tenth of the
  // progress ("40% done") in its polite live region, whoever re-drew the status: no focus
  // moves, and neither each poll nor each step of a fast task is read out.
  function announceTask(detail) {
    var live = document.getElementById("task-announce");
    var cell = detail.querySelector(".status-cell");
    var title = document.querySelector("h1");
    if (!live || !cell) { return; }
    function read() {
      var status = cell.querySelector(".task-status");
      var bar = status && status.querySelector("progress");
      var label = status && status.querySelector(".state");
      return status && {state: heardState(status), label: label ? label.textContent.trim() : "",
                        progress: bar ? Math.round(Number(bar.value)) : 0};
    }
    var last = read();
    new MutationObserver(function () {
      var now = read();
      if (!now || !last) { last = now || last; return; }
      if (now.state !== last.state) {
        live.textContent = (title ? title.textContent.trim() + ": " : "") + now.label + ", " + now.progress + "%";
      } else if (Math.floor(now.progress / 10) !== Math.floor(last.progress / 10)) {
        live.textContent = now.progress + "% done";
      }
      last = now;
    }).observe(cell, {childList: true, subtree: true});
  }

  function pollDetail(detail) {
    var id = detail.getAttribute("data-task-id");
    var tick = 0;
    var wasLive = true;
    function round() {
      if (document.hidden) { setTimeout(round, 3000); return; }
      api("status", id, "GET", "").then(function (data) {
        if (data.httpStatus === 404) {        /* trashed or deleted elsewhere: stop asking */
          showError("This task is no longer here: it was trashed or deleted.");
          return;
        }
        if (!data.status) { pollRefused(data); }
        if (data.status) {
          pollAnswered();
          showStatus(id, data);
          var live = data.task_state === ACTIVE || data.task_running === 1;
          tick += 1;
          if ((live && tick % 2 === 0) || live !== wasLive) { refreshPanel(id); }
          wasLive = live;
        }
        setTimeout(round, 1500);
      }).catch(function () { setTimeout(round, 5000); });
    }
    setTimeout(round, 1500);
  }

  /* -- Run now: one step per call, until the task is no longer active ------------------- */
  function runLoop(detail) {
    var id = detail.getAttribute("data-task-id");
    var note = document.getElementById("run-note");
    if (note) { note.hidden = false; }      /* shown once this script takes the steps */
    function say(text) { if (note) { note.textContent = text; } }
    function step() {
      api("run", id, "POST", "").then(function (data) {
        showStatus(id, data);
        refreshPanel(id);
        if (!data.status) {
          say("Stopped: " + data.result);
          return;
        }
        if (data.result.indexOf("later: ") === 0) {
          // the run is over (a recurring task's) or a retry waits: a runner takes it then
          say("Stopped: " + data.result.slice(7) + ".");
        } else if (data.task_state === ACTIVE) {
          var busy = data.result.indexOf("busy") === 0;
          say(busy ? "Another runner has this step; waiting for it." : "Running: " + data.progress + "% done.");
          setTimeout(step, busy ? 1000 : 50);
        } else {
          // "finished by lazycron" when another runner took the last step, else the state.
          var done = data.result.indexOf(data.task_state_info + " by ") === 0;
          say("The task is " + (done ? data.result : data.task_state_info) + ".");
        }
      }).catch(function () {
        say("The server did not answer; trying again in a few seconds.");
        setTimeout(step, 3000);
      });
    }
    step();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var tree = document.getElementById("page-tree");
    if (tree && !tree.getAttribute("data-pick")) {
      reopen(tree).then(function () { openPath(tree); });
    }
    var taskList = document.getElementById("task-list");
    if (taskList) { pollList(taskList); }
    var detail = document.getElementById("task-detail");
    if (detail) {
      var log = document.getElementById("task-log");
      if (log) { log.scrollTop = log.scrollHeight; }       /* opens on the newest lines */
      announceTask(detail);
      pollDetail(detail);
      if (detail.getAttribute("data-run") === "1") { runLoop(detail); }
    }
  });
})();
