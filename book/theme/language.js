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
    // mdBook's own icons, from GitHub's octicons (MIT License,
    // https://github.com/primer/octicons), as mdBook 0.5 draws them.
    const icons = {
        note: "M0 8a8 8 0 1 1 16 0A8 8 0 0 1 0 8Zm8-6.5a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13ZM6.5 7.75A.75.75 0 0 1 7.25 7h1a.75.75 0 0 1 .75.75v2.75h.25a.75.75 0 0 1 0 1.5h-2a.75.75 0 0 1 0-1.5h.25v-2h-.25a.75.75 0 0 1-.75-.75ZM8 6a1 1 0 1 1 0-2 1 1 0 0 1 0 2Z",
        tip: "M8 1.5c-2.363 0-4 1.69-4 3.75 0 .984.424 1.625.984 2.304l.214.253c.223.264.47.556.673.848.284.411.537.896.621 1.49a.75.75 0 0 1-1.484.211c-.04-.282-.163-.547-.37-.847a8.456 8.456 0 0 0-.542-.68c-.084-.1-.173-.205-.268-.32C3.201 7.75 2.5 6.766 2.5 5.25 2.5 2.31 4.863 0 8 0s5.5 2.31 5.5 5.25c0 1.516-.701 2.5-1.328 3.259-.095.115-.184.22-.268.319-.207.245-.383.453-.541.681-.208.3-.33.565-.37.847a.751.751 0 0 1-1.485-.212c.084-.593.337-1.078.621-1.489.203-.292.45-.584.673-.848.075-.088.147-.173.213-.253.561-.679.985-1.32.985-2.304 0-2.06-1.637-3.75-4-3.75ZM5.75 12h4.5a.75.75 0 0 1 0 1.5h-4.5a.75.75 0 0 1 0-1.5ZM6 15.25a.75.75 0 0 1 .75-.75h2.5a.75.75 0 0 1 0 1.5h-2.5a.75.75 0 0 1-.75-.75Z",
        important: "M0 1.75C0 .784.784 0 1.75 0h12.5C15.216 0 16 .784 16 1.75v9.5A1.75 1.75 0 0 1 14.25 13H8.06l-2.573 2.573A1.458 1.458 0 0 1 3 14.543V13H1.75A1.75 1.75 0 0 1 0 11.25Zm1.75-.25a.25.25 0 0 0-.25.25v9.5c0 .138.112.25.25.25h2a.75.75 0 0 1 .75.75v2.19l2.72-2.72a.749.749 0 0 1 .53-.22h6.5a.25.25 0 0 0 .25-.25v-9.5a.25.25 0 0 0-.25-.25Zm7 2.25v2.5a.75.75 0 0 1-1.5 0v-2.5a.75.75 0 0 1 1.5 0ZM9 9a1 1 0 1 1-2 0 1 1 0 0 1 2 0Z",
        warning: "M6.457 1.047c.659-1.234 2.427-1.234 3.086 0l6.082 11.378A1.75 1.75 0 0 1 14.082 15H1.918a1.75 1.75 0 0 1-1.543-2.575Zm1.763.707a.25.25 0 0 0-.44 0L1.698 13.132a.25.25 0 0 0 .22.368h12.164a.25.25 0 0 0 .22-.368Zm.53 3.996v2.5a.75.75 0 0 1-1.5 0v-2.5a.75.75 0 0 1 1.5 0ZM9 11a1 1 0 1 1-2 0 1 1 0 0 1 2 0Z",
        caution: "M4.47.22A.749.749 0 0 1 5 0h6c.199 0 .389.079.53.22l4.25 4.25c.141.14.22.331.22.53v6a.749.749 0 0 1-.22.53l-4.25 4.25A.749.749 0 0 1 11 16H5a.749.749 0 0 1-.53-.22L.22 11.53A.749.749 0 0 1 0 11V5c0-.199.079-.389.22-.53Zm.84 1.28L1.5 5.31v5.38l3.81 3.81h5.38l3.81-3.81V5.31L10.69 1.5ZM8 4a.75.75 0 0 1 .75.75v3.5a.75.75 0 0 1-1.5 0v-3.5A.75.75 0 0 1 8 4Zm0 8a1 1 0 1 1 0-2 1 1 0 0 1 0 2Z",
    };
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
        const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
        svg.setAttribute("viewBox", "0 0 16 16");
        svg.setAttribute("width", "18");
        svg.setAttribute("height", "18");
        const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
        path.setAttribute("d", icons[kind]);
        svg.append(path);
        title.append(svg, titles[kind]);
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
        "The whole diff from ": "Seluruh diff dari ",
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
