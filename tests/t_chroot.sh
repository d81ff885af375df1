# shellcheck shell=bash
# The binary is self-contained: it runs in an empty chroot (no libc, no
# /etc, no certificates, no locale files).

test_chroot_binary_alone() {
    is_root || skip "needs root for chroot"
    if is_asan; then skip "the -asan build is dynamically linked"; fi
    local root="$TEST_TMP/root"
    mkdir -p "$root"
    cp "$CLONEBOX_BIN" "$root/clonebox"
    assert_eq "clonebox" "$(ls -A "$root")" "chroot must contain only the binary"
    TGT_DB=$(new_db dst)
    assert_exit 0 timeout "$CB_TIMEOUT" chroot "$root" /clonebox clone \
        --source "host=127.0.0.1 port=$src_PORT user=postgres dbname=$SRC_DB" \
        --target "host=127.0.0.1 port=$dst_PORT user=postgres dbname=$TGT_DB" \
        --state /state.db
    assert_contains "$LAST_OUT" "RESULT: PASS"
    assert_true "state file created inside the chroot" test -f "$root/state.db"
    assert_tables_equal src "$SRC_DB" dst "$TGT_DB" public.background_tasks
    assert_exit 0 timeout "$CB_TIMEOUT" chroot "$root" /clonebox status --state /state.db --json
    jq_assert "$LAST_OUT" '.status == "done"'
    assert_exit 0 timeout "$CB_TIMEOUT" chroot "$root" /clonebox --help
}
