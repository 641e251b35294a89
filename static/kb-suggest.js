// Guide articles suggested while a new ticket's subject is typed (progressive enhancement).
//
// The page works without this file: its "search the guide" link opens /kb?q=<subject>. Here,
// as the subject is typed (at least 3 characters, 250 ms after the last key), the guide search
// API is asked for three articles, shown in a polite live region under the field, each linking
// to its page with the same `from` as the link, so the view counts as a deflection. A keystroke
// aborts the request still on its way; no result or any error empties the region and leaves
// the link. Snippets are built as text: of the API's markup only <mark> is kept.
(function () {
  "use strict";

  var template = document.getElementById("kb-suggest");
  if (!template || !template.content || !window.fetch || !window.AbortController || !window.DOMParser) {
    return;
  }
  var input = document.getElementById(template.dataset.input);
  var fallback = document.getElementById(template.dataset.fallback);
  var endpoint = template.dataset.endpoint;
  var from = template.dataset.from;
  var shown = Number(template.dataset.limit) || 3;
  if (!input || !endpoint || !from) {
    return;
  }

  var MIN_CHARS = 3;
  var MAX_CHARS = 200;
  var DELAY_MS = 250;
  var ARTICLE_PATH = /^\/kb\/[A-Za-z0-9-]+$/;

  // The live region enters the page empty, before anything is announced in it.
  var live = template.content.firstElementChild.cloneNode(true);
  var box = live.querySelector("section");
  var list = live.querySelector("ul");
  live.removeChild(box);
  template.parentNode.insertBefore(live, template.nextSibling);

  var timer = null;
  var pending = null;

  function clear() {
    list.replaceChildren();
    live.removeAttribute("data-query");
    if (box.parentNode) {
      live.removeChild(box);
    }
  }

  // The snippet's text, with the words the API marked in <mark> and nothing else as markup.
  function snippet(html) {
    var out = document.createElement("p");
    out.className = "kb-suggest-snippet";
    var parsed = new DOMParser().parseFromString(String(html), "text/html");
    parsed.body.childNodes.forEach(function (node) {
      if (node.nodeType === Node.ELEMENT_NODE && node.tagName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function item(hit) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = hit.url + "?from=" + encodeURIComponent(from);
    link.textContent = hit.title;
    li.appendChild(link);
    if (hit.snippet) {
      li.appendChild(snippet(hit.snippet));
    }
    return li;
  }

  // `query`: what the hits answer, kept on the region (tests wait for it).
  function show(query, hits) {
    var usable = Array.isArray(hits)
      ? hits.filter(function (h) {
          return h && typeof h.title === "string" && typeof h.url === "string" && ARTICLE_PATH.test(h.url);
        })
      : [];
    if (usable.length === 0) {
      clear();
      return;
    }
    list.replaceChildren.apply(list, usable.slice(0, shown).map(item));
    live.setAttribute("data-query", query);
    if (!box.parentNode) {
      live.appendChild(box);
    }
  }

  // The link without JavaScript searches what the subject says now.
  function updateFallback(query) {
    if (!fallback) {
      return;
    }
    var url = new URL(fallback.href, document.baseURI);
    url.searchParams.set("q", query);
    fallback.href = url.pathname + url.search;
  }

  function search(query) {
    var controller = new AbortController();
    pending = controller;
    var params = new URLSearchParams({ q: query, limit: String(shown) });
    fetch(endpoint + "?" + params.toString(), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      signal: controller.signal,
    })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("status " + res.status);
        }
        return res.json();
      })
      .then(function (hits) {
        if (pending === controller) {
          pending = null;
          show(query, hits);
        }
      })
      .catch(function () {
        // Aborted for a newer query, or failed: the link below the field still works.
        if (pending === controller) {
          pending = null;
          clear();
        }
      });
  }

  function changed() {
    var query = input.value.trim();
    updateFallback(query);
    window.clearTimeout(timer);
    // A request on its way answers an older subject.
    if (pending) {
      pending.abort();
      pending = null;
    }
    var length = Array.from(query).length;
    if (length < MIN_CHARS || length > MAX_CHARS) {
      clear();
      return;
    }
    timer = window.setTimeout(function () {
      search(query);
    }, DELAY_MS);
  }

  input.addEventListener("input", changed);
  // A subject kept after a form error gets its suggestions too.
  if (input.value.trim()) {
    changed();
  }
})();
