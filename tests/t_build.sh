# shellcheck shell=bash
# Build artefact and CLI surface.

test_build_static_binary() {
    if is_asan; then skip "static-link checks do not apply to the -asan build"; fi
    local f
    f=$(file -L "$CLONEBOX_BIN")
    echo "file: $f"
    assert_contains "$f" "ELF 64-bit"
    assert_contains "$f" "x86-64"
    assert_contains "$f" "statically linked" "binary must be statically linked (file output)"
    run_cmd ldd "$CLONEBOX_BIN"
    assert_contains "$LAST_OUT$LAST_ERR" "not a dynamic executable" "ldd must report 'not a dynamic executable'"
}

test_build_help_mentions_everything() {
    assert_exit 0 cb --help
    local help=$LAST_OUT w code
    [ -n "$help" ] || _fail "--help printed nothing on stdout" "stderr: $LAST_ERR"
    for w in clone verify status jobs \
             --source --target --state --exclude-table --exclude-table-data --json; do
        assert_contains "$help" "$w" "--help must mention '$w'"
    done
    for code in 0 1 2 3 4 5 6 75; do
        assert_match "$help" "(^|[^0-9A-Za-z.])${code}([^0-9A-Za-z.]|$)" "--help must document exit code $code"
    done
    # the other spellings of help
    assert_exit 0 cb help
    assert_contains "$LAST_OUT" "--exclude-table-data" "'clonebox help' must print the help"
    assert_exit 0 cb -h
    assert_contains "$LAST_OUT" "--exclude-table-data" "'clonebox -h' must print the help"
}

test_build_version() {
    assert_exit 0 cb --version
    assert_match "$LAST_OUT" '[0-9]+\.[0-9]+' "--version should print a version number"
    # what a bug report needs: the commit and the libraries linked in
    assert_match "$LAST_OUT" 'commit [0-9a-f]{7,}|commit unknown' "--version names the commit"
    assert_contains "$LAST_OUT" "libpq 15."
    assert_match "$LAST_OUT" 'SQLite 3\.[0-9]+' "--version names SQLite's version"
    assert_contains "$LAST_OUT" "OpenSSL 3."
}

test_build_usage_errors_exit_2() {
    assert_exit 2 cb clone --no-such-flag
    assert_contains "$LAST_ERR" "clonebox: error:" "usage errors are reported as 'clonebox: error: ...'"
    assert_exit 2 cb --no-such-flag
    assert_exit 2 cb frobnicate
    assert_exit 2 cb verify --bogus
    # a flag that needs a value, given none
    assert_exit 2 cb clone --source
}

test_build_no_unsafe_string_functions() {
    local src="$REPO_DIR/clonebox.c" hits
    [ -f "$src" ] || _fail "clonebox.c not found at $src"
    # calls of sprintf/vsprintf/strcpy/strcat/gets, ignoring // and /* */ comment lines
    hits=$(grep -nE '(^|[^A-Za-z0-9_])(sprintf|vsprintf|strcpy|strcat|gets)[[:space:]]*\(' "$src" |
           grep -vE '^[0-9]+:[[:space:]]*(//|/\*|\*)' |
           grep -vE '^[0-9]+:[^"]*//[^"]*(sprintf|vsprintf|strcpy|strcat|gets)' || true)
    assert_eq "" "$hits" "clonebox.c must not call sprintf/vsprintf/strcpy/strcat/gets"
}

# help COMMAND and COMMAND --help for every command: the same text, the
# command's usage line, and only the options that command takes.
test_build_help_per_command() {
    local c a b
    for c in clone copy verify start step resume status jobs cancel; do
        assert_exit 0 cb help "$c"; a=$LAST_OUT
        assert_exit 0 cb "$c" --help; b=$LAST_OUT
        assert_eq "$a" "$b" "help $c and $c --help differ"
        assert_contains "$a" "clonebox $c " "help $c must show its usage line"
    done
    assert_exit 0 cb help step;   assert_contains "$LAST_OUT" "--budget"
    assert_exit 0 cb help clone;  assert_not_contains "$LAST_OUT" "--budget" "clone takes no --budget"
    assert_contains "$LAST_OUT" "--refresh"
    assert_exit 0 cb help status; assert_not_contains "$LAST_OUT" "--source" "status takes no --source"
    assert_contains "$LAST_OUT" "--watch"
    assert_exit 0 cb help cancel; assert_contains "$LAST_OUT" "--older-than"
    # every option the global help names is accepted by some command
    assert_exit 0 cb --help
    local opt all
    all=$(for c in clone copy verify start step resume status jobs cancel; do cb help "$c"; done)
    for opt in $(printf '%s\n' "$LAST_OUT" | grep -oE '^  --[a-z-]+' | sed 's/^  //'); do
        assert_match "$all" "(  |, )$opt([ ,]|\$)" "option $opt is in --help but in no command's help"
    done
}

# clonebox completion bash|zsh: a script made from the option table, so each
# command completes exactly the options its --help lists.
test_build_completion() {
    assert_exit 0 cb completion bash
    local script=$LAST_OUT cmd want got
    printf '%s\n' "$script" | bash -n || _fail "the bash completion script does not parse"
    for cmd in clone copy verify start step resume status jobs cancel; do
        assert_exit 0 cb "$cmd" --help
        # every --option named in the Options section (continuation lines name some)
        want=$(printf '%s\n' "$LAST_OUT" | sed -n '/^Options:/,/^$/p' | grep -oE -- '--[a-z][a-z-]+' | LC_ALL=C sort -u)
        got=$(bash -c 'source /dev/stdin; COMP_WORDS=(clonebox "$1" --); COMP_CWORD=2; _clonebox; printf "%s\n" "${COMPREPLY[@]}"' \
            _ "$cmd" <<<"$script" | grep -v '^--help$' | LC_ALL=C sort -u)
        assert_eq "$want" "$got" "completion of '$cmd' (+) must offer the options its --help lists (-)"
    done
    got=$(bash -c 'source /dev/stdin; COMP_WORDS=(clonebox clone --verify ""); COMP_CWORD=3; _clonebox; echo "${COMPREPLY[*]}"' <<<"$script")
    assert_eq "full counts none" "$got"
    assert_exit 0 cb completion zsh
    assert_contains "$LAST_OUT" "bashcompinit"
    assert_exit 2 cb completion fish
}

# ./build.sh man makes the man page from --help: every option and exit code
# of --help is in it, and it renders without warnings.
test_build_man_page() {
    local page="$TEST_TMP/clonebox.1" o
    assert_exit 0 "$REPO_DIR/build.sh" man "$page"
    assert_exit 0 cb --help
    for o in $(printf '%s\n' "$LAST_OUT" | grep -oE -- '--[a-z][a-z-]+' | LC_ALL=C sort -u); do
        grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$page" || _fail "the man page lacks $o"
    done
    for o in 0 1 2 3 4 5 6 75; do grep -qx ".B $o" "$page" || _fail "the man page lacks exit code $o"; done
    grep -q '^\.SH OPTIONS' "$page" && grep -q '^\.SH EXIT STATUS' "$page" || _fail "the man page lacks a section"
    if command -v nroff >/dev/null; then
        local warn
        warn=$(nroff -man -ww "$page" 2>&1 >/dev/null)
        assert_eq "" "$warn" "nroff warns about the man page"
        nroff -man "$page" 2>/dev/null | grep -q 'pg_dump' || _fail "the rendered page lacks its notes"
    fi
}

# The arm64 release binary: cross-built static (./build.sh arm64), then run
# under qemu-user for --version and a clone of the fixture, which must PASS
# and equal the source.
test_build_arm64_under_qemu() {
    local bin="$REPO_DIR/clonebox-arm64" tgt
    command -v qemu-aarch64-static >/dev/null || _fail "qemu-aarch64-static is missing (Debian package qemu-user-static)"
    assert_exit 0 "$REPO_DIR/build.sh" arm64
    assert_match "$(file -b "$bin")" 'ARM aarch64.*statically linked' "./clonebox-arm64 must be a static arm64 executable"
    assert_exit 0 qemu-aarch64-static "$bin" --version
    assert_contains "$LAST_OUT" "libpq 15."
    tgt=$(new_db dst)
    assert_exit 0 qemu-aarch64-static "$bin" clone --jobs 2 --source "$(pg_url src "$SRC_DB")" \
        --target "$(pg_url dst "$tgt")" --state "$TEST_TMP/arm64.db"
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_tables_equal src "$SRC_DB" dst "$tgt" public.background_tasks
}
