// The language link in the menu bar of every page: from a page of the
// English edition to the same page in Bahasa Indonesia, and back.
//
// The two editions are built from one source (see the README): `just book`
// writes the English one to book/book/, `just book id` the Indonesian one to
// book/book-id/, side by side, so the link goes to ../book-id/PAGE or
// ../book/PAGE. `just serve-book` serves English on port 3000 and
// `just serve-book id` Indonesian on port 3001, so under those the link goes
// to the other port instead.
(function () {
    "use strict";
    const indonesian = document.documentElement.lang === "id";
    const other = indonesian
        ? { lang: "en", label: "English", title: "Read this page in English", folder: "book" }
        : { lang: "id", label: "Bahasa Indonesia", title: "Baca halaman ini dalam Bahasa Indonesia", folder: "book-id" };

    // `path_to_root` is set by mdBook on every page: "" or "../" and so on.
    const root = new URL(path_to_root || "./", location.href);
    const here = new URL(location.href);
    here.hash = "";
    here.search = "";
    const page = here.href.startsWith(root.href) ? here.href.slice(root.href.length) || "index.html" : "index.html";

    // Under `just serve-book [PORT]` the English edition is on port N
    // (3000) and `just serve-book id [PORT]` the Indonesian one on N + 1.
    const served = /^https?:$/.test(location.protocol)
        && ["localhost", "127.0.0.1", "[::1]"].includes(location.hostname)
        && location.port !== ""
        && root.pathname === "/";
    const port = Number(location.port) + (indonesian ? -1 : 1);
    const target = served
        ? new URL(page, `${location.protocol}//${location.hostname}:${port}/`)
        : new URL(`../${other.folder}/${page}`, root);

    const link = document.createElement("a");
    link.className = "language-link";
    link.href = target.href;
    link.hreflang = other.lang;
    link.lang = other.lang;
    link.title = other.title;
    link.setAttribute("aria-label", other.title);
    link.textContent = other.label;

    const buttons = document.querySelector("#mdbook-menu-bar .right-buttons, .menu-bar .right-buttons");
    if (buttons) {
        buttons.prepend(link);
    }
})();

// mdbook-gettext rewrites each chapter's Markdown, and escapes the marker of
// an admonition (`> [!NOTE]` becomes `> \[!NOTE\]`, mdbook-i18n-helpers
// issue 326), so the Indonesian edition gets a plain quote that starts with
// "[!NOTE]". Turn such a quote into the admonition mdBook makes of it, with
// the title in the page's language.
(function () {
    "use strict";
    const titles = document.documentElement.lang === "id"
        ? { note: "Catatan", tip: "Tips", important: "Penting", warning: "Peringatan", caution: "Awas" }
        : { note: "Note", tip: "Tip", important: "Important", warning: "Warning", caution: "Caution" };
    for (const quote of document.querySelectorAll("main blockquote")) {
        const first = quote.firstElementChild;
        if (!first || first.tagName !== "P" || !first.firstChild || first.firstChild.nodeType !== Node.TEXT_NODE) {
            continue;
        }
        const marker = /^\s*\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*/.exec(first.firstChild.data);
        if (!marker) {
            continue;
        }
        const kind = marker[1].toLowerCase();
        first.firstChild.data = first.firstChild.data.slice(marker[0].length);
        quote.classList.add("blockquote-tag", `blockquote-tag-${kind}`);
        const title = document.createElement("p");
        title.className = "blockquote-tag-title";
        title.textContent = titles[kind];
        quote.prepend(title);
    }
})();

// mdbook-gettext translates Markdown only: the label of a `<details>` block,
// `<summary>Hint</summary>`, is HTML that it leaves alone. Translate the
// labels the chapters use here. tests/book/translation.rs checks that every
// `<summary>` of the English chapters is in this table.
(function () {
    "use strict";
    if (document.documentElement.lang !== "id") {
        return;
    }
    const summaries = {
        "Hint": "Petunjuk",
        "Notes for teachers": "Catatan untuk pengajar",
        "Solution": "Jawaban",
        "For instructors": "Untuk pengajar",
        "The diff from m5 to m6": "Diff dari m5 ke m6",
    };
    // Labels that start with text and end with a file name in <code>.
    const prefixes = {
        "The whole of ": "Seluruh isi ",
    };
    for (const summary of document.querySelectorAll("main summary")) {
        const label = summary.textContent.trim();
        if (Object.hasOwn(summaries, label)) {
            summary.textContent = summaries[label];
            continue;
        }
        const first = summary.firstChild;
        if (first && first.nodeType === Node.TEXT_NODE) {
            for (const [english, indonesian] of Object.entries(prefixes)) {
                if (first.data.trimStart().startsWith(english)) {
                    first.data = indonesian + first.data.trimStart().slice(english.length);
                }
            }
        }
    }
})();
