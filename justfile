# Recipes for the course. `just` lists them; each takes milestones by the
# names students use: m1, m2, …

# The milestones, in order: the folders under milestones/.
milestones := `ls milestones | sort -V | tr '\n' ' ' | sed 's/ $//'`

# List the recipes
default:
    @just --list --unsorted

# Make a crate of your own, outside this repository: `just start ~/advprog-modul6`, `just start m4 ~/exercises/m4`
[no-exit-message]
[positional-arguments]
start *args:
    @# A relative DIR is relative to where you typed this, not to this folder.
    @cargo run --quiet --package start -- --cwd {{quote(invocation_directory())}} "$@"

# Check a server against a milestone or a stage of the module: `just check m3`, `just check 3 --repo ~/advprog-modul6`, `just check m4 --addr 127.0.0.1:7878`
[no-exit-message]
[positional-arguments]
check *args:
    @# A relative --repo DIR is relative to where you typed this.
    @cargo run --quiet --package check -- --cwd {{quote(invocation_directory())}} "$@"

# Grade a class, stage by stage: `just grade ~/class/*`, `just grade --csv ~/class/* > grades.csv`
[no-exit-message]
[positional-arguments]
grade *args:
    @# Relative repositories are relative to where you typed this.
    @cargo run --quiet --package grade -- --cwd {{quote(invocation_directory())}} "$@"

# Time the grader on a class of fixture repositories, in its sandbox and without it: `just grade-bench`, `just grade-bench 4 1000`
[no-exit-message]
grade-bench count="30" sleep_ms="10000":
    #!/usr/bin/env bash
    set -euo pipefail
    class=$(mktemp -d)
    trap 'rm -rf "$class" "$class.csv" "$class.err"' EXIT
    cargo run --quiet --package grade --example fixture -- "$class" {{count}} {{sleep_ms}} > /dev/null
    cargo build --quiet --package grade
    echo "grading {{count}} fixture repositories, /sleep of {{sleep_ms}} ms, on $(nproc) CPUs"
    # The same class twice, side by side in one run: without the sandbox
    # (the hidden --unsandboxed, which exists for this), then in it.
    TIMEFORMAT=%R
    grade() { cargo run --quiet --package grade -- --cwd "$class" --csv "$@" $(ls "$class") > "$class.csv" 2> "$class.err"; }
    without=$( { time grade --unsandboxed; } 2>&1 )
    with=$( { time grade; } 2>&1 )
    head -n 1 "$class.err"
    awk -v with="$with" -v without="$without" 'BEGIN {
        printf "graded in %.2f s in the sandbox, %.2f s without it (%+.1f %%)\n", with, without, 100 * (with - without) / without }'
    awk -F, 'NR > 1 { for (i = 2; i <= 7; i++) { n++; if ($i == "pass") p++; else if ($i == "missing") m++ } }
        END { printf "%d of %d stages passed, %d missing (the fixtures skip some bonuses)\n", p, n, m }' "$class.csv"
    rm -f "$class.csv"

# Run a milestone: `just run m3`, `just run m3 127.0.0.1:8080`
[no-exit-message]
run milestone *args: (_check milestone)
    cargo run --quiet --package {{milestone}} -- {{args}}

# Run every test: the milestones' specifications and the tools'
test *args:
    cargo test {{args}}

# Show what one milestone changes from another: `just diff m2 m3`
diff from to: (_check from) (_check to)
    #!/usr/bin/env bash
    # The book's anchor comments (`// ANCHOR: name`) mark lines for the
    # chapters, not code: diff copies without them, as the book's diffs do.
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir "$tmp/milestones"
    for m in {{from}} {{to}}; do cp -R "milestones/$m" "$tmp/milestones/"; done
    find "$tmp" -type f -exec sed -i -E \
        '/^[[:space:]]*(\/\/|<!--)[[:space:]]*ANCHOR(_END)?:/d' {} +
    cd "$tmp"
    # Exit 1 only means "they differ". The package names always differ: hide them.
    git --no-pager diff --no-index --color=auto -I '^name = "m[0-9]+"$' \
        milestones/{{from}} milestones/{{to}}
    [ $? -le 1 ]

# Fail with a one-line error unless the argument names a milestone.
[private]
[no-exit-message]
_check milestone:
    #!/usr/bin/env bash
    name={{quote(milestone)}}
    for m in {{milestones}}; do [ "$m" = "$name" ] && exit 0; done
    echo "error: no milestone named '$name'; choose one of: {{milestones}}" >&2
    exit 2

# Build the book: `just book` (English, into book/book), `just book id` (Bahasa Indonesia, into book/book-id)
[no-exit-message]
book lang="en": (_book-lang lang)
    {{ if lang == "en" { "mdbook build book" } else { book_id + " mdbook build book --dest-dir book/book-id" } }}

# Serve the book, rebuilt on every change: `just serve-book` (English, http://localhost:3000), `just serve-book id` (Bahasa Indonesia, http://localhost:3001); on another port: `just serve-book 4000`, `just serve-book id 4001`
[no-exit-message]
[positional-arguments]
serve-book *args:
    #!/usr/bin/env bash
    # A language, then a port, both optional: a number alone is the port.
    lang=en
    if [ $# -gt 0 ] && ! [[ $1 =~ ^[0-9]+$ ]]; then lang=$1; shift; fi
    port=${1:-}
    if [ $# -gt 1 ]; then
        echo "error: too many arguments; use: just serve-book [en|id] [PORT]" >&2
        exit 2
    fi
    if [ -n "$port" ] && ! { [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ]; }; then
        echo "error: '$port' is not a port; pass a number from 1 to 65535, such as 4000" >&2
        exit 2
    fi
    {{quote(just_executable())}} --justfile {{quote(justfile())}} _book-lang "$lang" || exit
    case $lang in
        en) set -- mdbook serve book --port "${port:-3000}" ;;
        *) set -- env {{book_id}} mdbook serve book --dest-dir book/book-id --port "${port:-3001}" ;;
    esac
    echo "$*" >&2 # the command, as just shows it for a one-line recipe
    exec "$@"

# Extract the English book's text into book/po/messages.pot and merge it into book/po/id.po, for the translator
book-po:
    MDBOOK_OUTPUT='{"xgettext": {}}' mdbook build book --dest-dir book/po
    msgmerge --quiet --update --backup=none --previous book/po/id.po book/po/messages.pot
    msgfmt --check --statistics -o /dev/null book/po/id.po

# The Indonesian edition: the English book translated by book/po/id.po with
# mdbook-i18n-helpers' gettext preprocessor, added here rather than in
# book.toml so that the English build needs no plugin. The tests
# (tests/book/translation.rs) build it with the same settings.
book_id := "MDBOOK_BOOK__LANGUAGE=id MDBOOK_BOOK__TITLE='Membangun web server multithreaded, satu milestone demi satu' MDBOOK_PREPROCESSOR__GETTEXT='{\"after\": [\"links\"]}'"

# Fail with a one-line error unless the argument is a language of the book
# whose tools are installed.
[private]
[no-exit-message]
_book-lang lang:
    #!/usr/bin/env bash
    case {{quote(lang)}} in
        en) ;;
        id)
            if ! command -v mdbook-gettext > /dev/null; then
                echo "error: the Indonesian edition needs mdbook-gettext; install it with: cargo install mdbook-i18n-helpers --locked --version 0.4.0" >&2
                exit 1
            fi ;;
        *)
            echo "error: the book has no language {{quote(lang)}}; choose en (the default) or id" >&2
            exit 2 ;;
    esac

# Regenerate the book's "what changed" diffs from the milestones' sources
book-diffs:
    UPDATE_BOOK_DIFFS=1 cargo test --quiet --test book diffs -- --nocapture

# Compare the milestones' release builds: `just compare`, `just compare m2 m3 --scenario blocked`
[no-exit-message]
compare *args:
    cargo run --quiet --package compare -- {{args}}

# Load-test a milestone's release build with oha: `just bench m1`, `just bench m3 -n 50000 -c 32`
[no-exit-message]
bench milestone *args="-n 20000 -c 16": (_check milestone)
    #!/usr/bin/env bash
    # Checked here as well as in the tool: at once, before Cargo builds
    # anything (and on a PATH without Cargo, as the recipe's test runs it).
    if ! command -v oha > /dev/null; then
        echo "error: oha is not installed; install it with: cargo install oha --locked --version 1.16.0" >&2
        exit 1
    fi
    # The tool builds the milestone in release, starts it on a free port,
    # runs oha against it and prints the CPU time each side used.
    exec cargo run --quiet --package compare -- bench {{milestone}} -- {{args}}

# Scrape m8 with Prometheus, on http://127.0.0.1:9090: `just run m8`, then `just prometheus` (or `just prometheus 9091`) in a second terminal
[no-exit-message]
prometheus port="9090":
    #!/usr/bin/env bash
    if ! command -v prometheus > /dev/null; then
        echo "error: prometheus is not installed; install it with: sudo apt-get install prometheus" >&2
        exit 1
    fi
    port={{quote(port)}}
    # 0 lets the system choose a free port, as the tests need.
    if ! { [[ $port =~ ^[0-9]+$ ]] && [ "$port" -le 65535 ]; }; then
        echo "error: '$port' is not a port; pass a number from 1 to 65535, such as 9091" >&2
        exit 2
    fi
    # Connecting is the surest way to know; Prometheus's own error would be
    # lost in its log. Debian's package starts a Prometheus service on 9090.
    if [ "$port" -ne 0 ] && (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
        echo "error: 127.0.0.1:$port is taken (by the service the prometheus package starts? stop it with: sudo systemctl stop prometheus); or pass another port, such as: just prometheus 9091" >&2
        exit 1
    fi
    # The series it stores are a demo's: they go when Prometheus stops.
    data=$(mktemp -d)
    trap 'rm -rf "$data"' EXIT
    set -- prometheus --config.file=milestones/m8/prometheus.yml \
        --storage.tsdb.path="$data" --web.listen-address="127.0.0.1:$port"
    echo "$*" >&2 # the command, as just shows it for a one-line recipe
    # Not exec: the trap removes the data once Ctrl-C has stopped it.
    "$@"
