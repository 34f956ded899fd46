/*
 * channelhub search: Material's search box, driven by the hub's own index.
 *
 * Nothing is fetched for search until the reader focuses the box or presses /, s or f (or opens
 * a shared search: ?q=...&kind=...&topic=... in the URL); then hub-search-engine.js and the
 * index's manifest, and for each query only the shards of its words and filters and the records
 * of the results shown, come from the site itself. The kind chips and the topic list narrow the
 * results; the query and the filters stay in the URL while the dialog is open, so a search can
 * be shared. When nothing matches, the engine searches the closest indexed words instead and
 * the dialog says so ("did you mean ...?").
 * The dialog is overrides/partials/search.html when the header rendered it, otherwise the
 * same markup is built here (Material's header shows its box only while its own search
 * plugin is on, and that plugin is off so that no search_index.json reaches the reader).
 */
(() => {
  "use strict";

  const ICONS = {
    magnify:
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true"><path d="M9.5 3A6.5 6.5 0 0 1 16 9.5c0 1.61-.59 3.09-1.56 4.23l.27.27h.79l5 5-1.5 1.5-5-5v-.79l-.27-.27A6.52 6.52 0 0 1 9.5 16 6.5 6.5 0 0 1 3 9.5 6.5 6.5 0 0 1 9.5 3m0 2C7 5 5 7 5 9.5S7 14 9.5 14 14 12 14 9.5 12 5 9.5 5"/></svg>',
    back: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true"><path d="M20 11v2H8l5.5 5.5-1.42 1.42L4.16 12l7.92-7.92L13.5 5.5 8 11z"/></svg>',
    close:
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" aria-hidden="true"><path d="M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z"/></svg>',
  };
  // Keep in step with overrides/partials/search.html.
  const TEMPLATE = `
<div class="md-search" role="dialog" aria-label="Search" data-hub-search>
  <label class="md-search__overlay" for="__search"></label>
  <div class="md-search__inner" role="search">
    <form class="md-search__form" name="hub-search">
      <input type="text" class="md-search__input" name="query" aria-label="Search" placeholder="Search"
        autocapitalize="off" autocorrect="off" autocomplete="off" spellcheck="false" required data-hub-search-query>
      <label class="md-search__icon md-icon" for="__search">${ICONS.magnify}${ICONS.back}</label>
      <nav class="md-search__options" aria-label="Search">
        <button type="reset" class="md-search__icon md-icon" title="Clear" aria-label="Clear" tabindex="-1">${ICONS.close}</button>
      </nav>
    </form>
    <div class="md-search__output">
      <div class="md-search__scrollwrap" tabindex="0" data-md-scrollfix>
        <div class="md-search-result">
          <div class="hub-search-filters" role="group" aria-label="Filter results" data-hub-search-filters hidden></div>
          <div class="md-search-result__meta" aria-live="polite" data-hub-search-meta>Type to start searching</div>
          <ol class="md-search-result__list" aria-label="Search" data-hub-search-results></ol>
        </div>
      </div>
    </div>
  </div>
</div>`;
  const SHOWN = 10; // results rendered at a time (and each time the list is scrolled to its end)
  const PAUSE = 120; // ms of no typing before a query runs

  const config = readConfig();
  const root = new URL(config.base || ".", document.baseURI);
  const words = config.translations || {};
  const toggle = document.getElementById("__search");

  function readConfig() {
    const node = document.getElementById("__config");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (_) {
      return {};
    }
  }

  function say(key, fallback, count) {
    const text = words[key] || fallback;
    return count === undefined ? text : text.replace("#", String(count));
  }

  function mountDialog() {
    const existing = document.querySelector("[data-hub-search]");
    if (existing) return existing;
    const header = document.querySelector(".md-header__inner");
    if (!header || !toggle) return null;
    const button = document.createElement("label");
    button.className = "md-header__button md-icon";
    button.htmlFor = "__search";
    button.title = "Search";
    button.innerHTML = ICONS.magnify;
    const holder = document.createElement("div");
    holder.innerHTML = TEMPLATE.trim();
    const dialog = holder.firstElementChild;
    const before = header.querySelector(".md-header__source");
    header.insertBefore(button, before);
    header.insertBefore(dialog, before);
    return dialog;
  }

  const dialog = mountDialog();
  if (!dialog) return;
  const input = dialog.querySelector("[data-hub-search-query]");
  const form = input.form;
  const meta = dialog.querySelector("[data-hub-search-meta]");
  const filterBar = dialog.querySelector("[data-hub-search-filters]");
  const filters = { kind: "", topic: "" };
  const PARAMS = { q: "q", kind: "kind", topic: "topic" };
  const list = dialog.querySelector("[data-hub-search-results]");
  let index = null; // Promise of the site's index (the engine module opens it), made on first use
  let latest = 0; // number of the newest query, so a slow answer never overwrites a newer one
  // the newest query's results: those not rendered yet come as the reader scrolls
  let shown = { number: 0, search: { results: [], total: 0 }, next: 0, loading: false };
  const scrollwrap = dialog.querySelector(".md-search__scrollwrap");

  function loadIndex() {
    if (!index) {
      const engine = import(new URL("assets/hub-search-engine.js", root).href);
      index = engine.then((module) => module.open(root));
      index.then(showFilters, () => {
        index = null;
      });
    }
    return index;
  }

  // The kind chips (toggle buttons) and the topic list, from the index's manifest.
  function showFilters(site) {
    if (!filterBar || filterBar.childElementCount) return;
    const chips = document.createElement("div");
    chips.className = "hub-search-filters__kinds";
    for (const [slug, label] of Object.entries(site.kinds)) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "hub-search-chip " + kindClass(label);
      chip.dataset.kind = slug;
      chip.textContent = label;
      chip.setAttribute("aria-pressed", String(filters.kind === slug));
      chip.addEventListener("click", () => {
        filters.kind = filters.kind === slug ? "" : slug;
        refreshFilters();
        run(input.value);
      });
      chips.append(chip);
    }
    const topics = document.createElement("select");
    topics.className = "hub-search-filters__topic";
    topics.setAttribute("aria-label", "Topic");
    topics.append(new Option("All topics", ""));
    for (const [slug, title] of Object.entries(site.topics)) topics.append(new Option(title, slug));
    topics.value = filters.topic in site.topics ? filters.topic : "";
    filters.topic = topics.value;
    topics.addEventListener("change", () => {
      filters.topic = topics.value;
      run(input.value);
    });
    filterBar.append(chips, topics);
    filterBar.hidden = false;
  }

  function refreshFilters() {
    if (!filterBar) return;
    for (const chip of filterBar.querySelectorAll("[data-kind]")) {
      chip.setAttribute("aria-pressed", String(chip.dataset.kind === filters.kind));
    }
    const topics = filterBar.querySelector("select");
    if (topics) topics.value = filters.topic;
  }

  // The query and the filters in the page's URL while the dialog is open, so a search can be shared.
  function remember(query) {
    if (!window.history || !history.replaceState) return;
    const url = new URL(window.location.href);
    const values = { q: toggle.checked ? query.trim() : "", kind: toggle.checked ? filters.kind : "", topic: toggle.checked ? filters.topic : "" };
    for (const [key, name] of Object.entries(PARAMS)) {
      if (values[key]) url.searchParams.set(name, values[key]);
      else url.searchParams.delete(name);
    }
    if (url.href !== window.location.href) history.replaceState(history.state, "", url.href);
  }

  function sayCorrected(query, search, total) {
    // "did you mean ...?": the engine searched the closest indexed words instead
    meta.replaceChildren();
    const suggestion = document.createElement("button");
    suggestion.type = "button";
    suggestion.className = "hub-search-suggestion";
    suggestion.textContent = search.corrected;
    suggestion.addEventListener("click", () => {
      input.value = search.corrected;
      run(input.value);
      input.focus();
    });
    meta.append(
      `${say("search.result.none", "No matching documents")} for “${query.trim()}”. Did you mean `,
      suggestion,
      `? ${total === 1 ? "1 matching document" : `${total} matching documents`}.`,
    );
  }

  function open() {
    if (!toggle.checked) {
      toggle.checked = true;
      toggle.dispatchEvent(new Event("change"));
    }
    if (document.activeElement !== input) input.focus();
    loadIndex();
  }

  function close() {
    if (toggle.checked) {
      toggle.checked = false;
      toggle.dispatchEvent(new Event("change"));
    }
    input.blur();
    remember("");
  }

  // The excerpt comes as [text, marked] pairs: text nodes and <mark>s, never parsed as HTML.
  function excerptNodes(parts) {
    const out = document.createDocumentFragment();
    for (const [text, marked] of parts) {
      if (marked) {
        const mark = document.createElement("mark");
        mark.textContent = text;
        out.append(mark);
      } else {
        out.append(document.createTextNode(text));
      }
    }
    return out;
  }

  function kindClass(label) {
    return "hub-kind hub-kind-" + String(label || "").toLowerCase().split(/\s+/)[0];
  }

  function resultItem(data, search) {
    const item = document.createElement("li");
    item.className = "md-search-result__item";
    const link = document.createElement("a");
    link.className = "md-search-result__link";
    const target = new URL(data.url, root);
    // a record's URL is a page of this site; anything else (a tampered index) gets no link
    if (target.origin === root.origin) link.href = target.href;
    link.tabIndex = -1;
    const article = document.createElement("article");
    article.className = "md-search-result__article md-typeset";
    const title = document.createElement("h2");
    title.className = "hub-search-result__title";
    title.textContent = data.title || data.url;
    const facts = document.createElement("p");
    facts.className = "hub-search-result__facts";
    if (data.kind) {
      const kind = document.createElement("span");
      kind.className = kindClass(data.kind);
      kind.textContent = data.kind;
      facts.append(kind);
    }
    if (data.date) {
      const when = document.createElement("span");
      when.className = "hub-search-result__date";
      when.textContent = data.date;
      facts.append(when);
    }
    const excerpt = document.createElement("p");
    excerpt.className = "hub-search-result__excerpt";
    excerpt.append(excerptNodes(search.excerpt(data.text || "")));
    article.append(title, facts, excerpt);
    link.append(article);
    item.append(link);
    return item;
  }

  async function run(query) {
    const number = ++latest;
    remember(query);
    if (!query.trim()) {
      list.replaceChildren();
      meta.textContent = say("search.result.placeholder", "Type to start searching");
      return;
    }
    let site;
    try {
      site = await loadIndex();
    } catch (_) {
      if (number === latest) meta.textContent = "Search is not available on this copy of the site.";
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE));
    if (number !== latest) return;
    let rendered = false;
    try {
      // only the first result is settled now (of a common word: one of its blocks, or a few)
      const search = await site.search(query, { ...filters }, { first: 1 });
      if (number !== latest) return;
      const total = search.total;
      if (total === 0) {
        list.replaceChildren();
        meta.textContent = say("search.result.none", "No matching documents");
        return;
      }
      if (search.corrected) {
        sayCorrected(query, search, total);
      } else {
        meta.textContent =
          total === 1
            ? say("search.result.one", "1 matching document")
            : say("search.result.other", "# matching documents", total);
        if (search.more) meta.textContent += " (the first 200 checked for the phrase)";
      }
      // The first result alone, so the reader sees it before the other records arrive.
      const firstData = await search.results[0].data();
      if (number !== latest) return;
      shown = { number, search, next: 1, loading: false };
      list.replaceChildren(resultItem(firstData, search));
      rendered = true;
      if (window.performance && performance.mark) performance.mark("hub-search-first-result");
      await showMore(number, SHOWN - 1);
    } catch (_) {
      index = null; // the site may have been published again since the manifest was read
      if (number === latest && !rendered) {
        list.replaceChildren();
        meta.textContent = "Search could not load its index; try again.";
      }
    }
  }

  // The next `count` results of query `number`, once the ones before them are rendered.
  async function showMore(number, count) {
    const state = shown; // this query's, even if a newer query replaces `shown` meanwhile
    if (state.number !== number || number !== latest || state.loading) return;
    if (state.next >= state.search.total) return;
    state.loading = true;
    try {
      const results = await state.search.page(state.next + count); // scores more blocks if need be
      const batch = results.slice(state.next, state.next + count);
      const records = await Promise.all(batch.map((result) => result.data()));
      if (number !== latest) return;
      list.append(...records.map((data) => resultItem(data, state.search)));
      state.next += batch.length;
    } finally {
      state.loading = false;
    }
    if (atEnd()) showMore(number, SHOWN).catch(() => {}); // the list does not fill the dialog yet
  }

  function atEnd() {
    const { scrollTop, clientHeight, scrollHeight } = scrollwrap;
    return clientHeight > 0 && scrollTop + clientHeight >= scrollHeight - 160; // 0: the dialog is closed
  }

  function links() {
    return Array.from(list.querySelectorAll(".md-search-result__link"));
  }

  function typing(target) {
    return (
      target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    );
  }

  input.addEventListener("focus", open);
  scrollwrap.addEventListener(
    "scroll",
    () => {
      if (atEnd()) showMore(latest, SHOWN).catch(() => {});
    },
    { passive: true },
  );
  input.addEventListener("input", () => run(input.value));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const [first] = links();
    if (first) first.click();
  });
  form.addEventListener("reset", () => {
    setTimeout(() => {
      run("");
      input.focus();
    });
  });
  toggle.addEventListener("change", () => {
    if (!toggle.checked) input.blur();
    else if (document.activeElement !== input) open();
    if (toggle.checked) {
      // reopened with a list shorter than the dialog: nothing to scroll, so fill it now
      requestAnimationFrame(() => {
        if (atEnd()) showMore(latest, SHOWN).catch(() => {});
      });
    }
  });
  list.addEventListener("click", (event) => {
    if (event.target instanceof Element && event.target.closest("a")) close();
  });

  document.addEventListener(
    "keydown",
    (event) => {
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if (!toggle.checked) {
        if (["/", "s", "f"].includes(event.key) && !typing(event.target)) {
          event.preventDefault();
          open();
        }
        return;
      }
      const inFilters = event.target instanceof Element && event.target.closest("[data-hub-search-filters]");
      if (inFilters && event.key !== "Escape") return; // the chips and the topic list keep their own keys
      const all = [input, ...links()];
      const at = all.indexOf(document.activeElement);
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        all[(Math.max(0, at) + step + all.length) % all.length].focus();
      } else if (event.key === "Enter" && at > 0) {
        event.preventDefault();
        all[at].click();
      } else if (at > 0 && event.key.length === 1) {
        input.focus(); // typing on a focused result goes back to the query
      }
    },
    true,
  );

  // A shared search: open the dialog with the query and the filters in the URL.
  const shared = new URLSearchParams(window.location.search);
  if (shared.get(PARAMS.q)) {
    filters.kind = shared.get(PARAMS.kind) || "";
    filters.topic = shared.get(PARAMS.topic) || "";
    input.value = shared.get(PARAMS.q);
    open();
    run(input.value);
  }
})();
