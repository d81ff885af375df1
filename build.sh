#!/usr/bin/env bash
# build.sh - build, test and demo clonebox.  Run `./build.sh help` for usage.
#
# The default target links ONE fully static x86-64 executable ./clonebox from
# clonebox.c + vendor/pq_shims.c and Debian 12's static libpq, SQLite, OpenSSL
# and glibc archives (see vendor/README.md).  When run as root, missing Debian
# packages are installed with apt-get.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD
export DEBIAN_FRONTEND=noninteractive

PG_MAJOR=15
PG_LIBDIR=/usr/lib/postgresql/$PG_MAJOR/lib
PG_BINDIR=/usr/lib/postgresql/$PG_MAJOR/bin
CC=${CC:-gcc}
CFLAGS_COMMON=(-std=gnu11 -g -Wall -Wextra -Werror
	-DCLONEBOX_COMMIT="\"$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)\"")

say() { printf 'build.sh: %s\n' "$*" >&2; }
die() { printf 'build.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
	cat <<'EOF'
usage: ./build.sh [COMMAND]

  (none)         build the static executable ./clonebox
  test [--asan] [ARGS...]
                 build, install test dependencies if missing, run tests/run.sh ARGS.
                 --asan: build ./clonebox-asan instead (dynamic, ASan+UBSan) and
                 test that binary.  Exit status is the suite's status.
  demo           build, start two throwaway PostgreSQL servers, load
                 tests/fixture.sql into the source, clone it, print the report,
                 stop the servers
  fuzz [SECONDS] build the libFuzzer harnesses of tests/fuzz/ (clang, installed if
                 missing) and run each for SECONDS (default 60) on a copy of its
                 corpus; fails if any finds a crash, leak or undefined behaviour
  man [FILE]     write the man page, made from ./clonebox --help, to ./clonebox.1 (or FILE)
  arm64          cross-build the static, stripped ./clonebox-arm64 (Debian's cross compiler and
                 arm64 packages, fetched when missing)
  sbom [ARCH]    print an SPDX 2.3 SBOM (JSON) of the amd64 (default) or arm64 binary: clonebox
                 and the Debian packages linked into it, with their versions
  clean          remove build and test outputs (clonebox, clonebox-asan, clonebox.1, tests/tmp)
  help           show this help

Missing Debian packages are installed with apt-get when run as root.
EOF
}

# ---------------------------------------------------------------------------
# Debian packages
# ---------------------------------------------------------------------------

multiarch() {
	local m
	m=$("$CC" -print-multiarch 2>/dev/null || true)
	printf '%s\n' "${m:-x86_64-linux-gnu}"
}

# pkg_present PKG: cheap file test first, dpkg-query as a fallback.
pkg_present() {
	local pkg=$1 ma=x86_64-linux-gnu
	command -v "$CC" >/dev/null 2>&1 && ma=$(multiarch)
	case $pkg in
	gcc) command -v "$CC" >/dev/null 2>&1 && return 0 ;;
	libc6-dev) [[ -f /usr/lib/$ma/libc.a ]] && return 0 ;;
	libpq-dev) [[ -f /usr/lib/$ma/libpq.a && -f /usr/include/postgresql/libpq-fe.h ]] && return 0 ;;
	libsqlite3-dev) [[ -f /usr/lib/$ma/libsqlite3.a && -f /usr/include/sqlite3.h ]] && return 0 ;;
	libssl-dev) [[ -f /usr/lib/$ma/libssl.a && -f /usr/lib/$ma/libcrypto.a ]] && return 0 ;;
	"postgresql-server-dev-$PG_MAJOR")
		[[ -f $PG_LIBDIR/libpgcommon_shlib.a && -f $PG_LIBDIR/libpgport_shlib.a && -f $PG_LIBDIR/libpgfeutils.a ]] && return 0 ;;
	"postgresql-$PG_MAJOR") [[ -x $PG_BINDIR/postgres && -x $PG_BINDIR/initdb ]] && return 0 ;;
	file | openssl | jq | sqlite3 | python3) command -v "$pkg" >/dev/null 2>&1 && return 0 ;;
	coreutils) command -v timeout >/dev/null 2>&1 && return 0 ;;
	procps) command -v ps >/dev/null 2>&1 && return 0 ;;
	esac
	[[ $(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true) == "install ok installed" ]]
}

# ensure_pkgs PKG...: install whatever is missing (root only).
ensure_pkgs() {
	local missing=() p
	for p in "$@"; do
		[[ " ${missing[*]} " == *" $p "* ]] && continue
		pkg_present "$p" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	if [[ $(id -u) != 0 ]]; then
		die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})"
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "missing packages ${missing[*]} and no apt-get (this build expects Debian 12)"
	say "installing: ${missing[*]}"
	local apt=(apt-get install -y --no-install-recommends "${missing[@]}")
	if ! "${apt[@]}" >/dev/null 2>&1; then
		say "apt-get install failed; running apt-get update and retrying"
		apt-get update -q >/dev/null || die "apt-get update failed"
		"${apt[@]}" || die "apt-get install ${missing[*]} failed"
	fi
}

BUILD_PKGS=(gcc libc6-dev libpq-dev libsqlite3-dev libssl-dev "postgresql-server-dev-$PG_MAJOR" file)
TEST_PKGS=("postgresql-$PG_MAJOR" openssl jq file coreutils procps sqlite3 python3 qemu-user-static gcc-aarch64-linux-gnu
	libc6-dev-arm64-cross)

# ---------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------

pg_includedir() {
	local pgc
	pgc=$(command -v pg_config 2>/dev/null || true)
	[[ -n $pgc ]] || pgc=$PG_BINDIR/pg_config
	[[ -x $pgc ]] || die "pg_config not found (install libpq-dev)"
	"$pgc" --includedir
}

# Drop glibc's expected "Using 'getaddrinfo' in statically linked applications
# requires at runtime ..." warnings (and the "in function" line naming where
# they come from); everything else, e.g. real errors, passes through.
filter_link_warnings() {
	awk '
		/: warning: Using .* in statically linked applications requires at runtime the shared libraries from the glibc version used for linking$/ {
			held = ""; next
		}
		{
			if (held != "") print held
			held = ""
			if ($0 ~ /: in function `[^'\'']*'\'':$/) { held = $0; next }
			print
		}
		END { if (held != "") print held }
	'
}

# compile OUTPUT CMD...: run a compiler command with filtered diagnostics.
compile() {
	local out=$1 log rc=0
	shift
	log=$(mktemp)
	"$@" >"$log" 2>&1 || rc=$?
	filter_link_warnings <"$log" >&2
	rm -f "$log"
	((rc == 0)) || { rm -f "$out"; die "compiling $out failed"; }
}

check_sources() {
	[[ -f clonebox.c ]] || die "clonebox.c not found in $ROOT"
	[[ -f vendor/pq_shims.c ]] || die "vendor/pq_shims.c not found in $ROOT"
}

build_static() {
	ensure_pkgs "${BUILD_PKGS[@]}"
	check_sources
	local ma inc
	ma=$(multiarch)
	inc=$(pg_includedir)
	say "building static ./clonebox"
	compile clonebox "$CC" "${CFLAGS_COMMON[@]}" -O2 -static -I"$inc" \
		clonebox.c vendor/pq_shims.c \
		"$PG_LIBDIR/libpgfeutils.a" "/usr/lib/$ma/libpq.a" "$PG_LIBDIR/libpgcommon_shlib.a" "$PG_LIBDIR/libpgport_shlib.a" \
		-lsqlite3 -lssl -lcrypto -lpthread -lm -ldl -o clonebox
	local desc
	desc=$(file -b clonebox)
	if [[ $desc != *"statically linked"* ]]; then
		rm -f clonebox
		die "./clonebox is not statically linked: $desc"
	fi
	say "ok: ./clonebox ($(du -h clonebox | cut -f1), statically linked)"
}

# The arm64 build: Debian's cross compiler and C library, and the arm64
# static archives of libpq, SQLite, OpenSSL and PostgreSQL's frontend
# libraries taken from Debian's arm64 packages, unpacked into a cache
# directory (not installed: postgresql-server-dev-15 cannot be installed
# for two architectures at once).  Writes ./clonebox-arm64, stripped.
ARM64_PKGS=(libpq-dev libsqlite3-dev libssl-dev postgresql-server-dev-15)
arm64_root() {
	local root=${CLONEBOX_ARM64_ROOT:-${TMPDIR:-/tmp}/clonebox-arm64-root} p missing=0
	for p in usr/lib/aarch64-linux-gnu/libpq.a usr/lib/aarch64-linux-gnu/libsqlite3.a \
		usr/lib/aarch64-linux-gnu/libssl.a usr/lib/postgresql/15/lib/libpgfeutils.a; do
		[[ -f $root/$p ]] || missing=1
	done
	if ((missing)); then
		[[ $(id -u) == 0 ]] || die "the arm64 libraries are missing in $root; run as root once to fetch them"
		say "fetching Debian's arm64 packages: ${ARM64_PKGS[*]}"
		dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
		apt-get update -q >/dev/null || die "apt-get update failed"
		local dl
		dl=$(mktemp -d)
		chmod 755 "$dl"
		(cd "$dl" && apt-get download -q "${ARM64_PKGS[@]/%/:arm64}" >/dev/null 2>&1) ||
			{ rm -rf "$dl"; die "apt-get download of the arm64 packages failed"; }
		mkdir -p "$root"
		for p in "$dl"/*.deb; do
			dpkg-deb -x "$p" "$root"
			printf '%s %s\n' "$(dpkg-deb -f "$p" Package)" "$(dpkg-deb -f "$p" Version)" >>"$root/versions.txt" # for the SBOM
		done
		rm -rf "$dl"
	fi
	printf '%s\n' "$root"
}

build_arm64() {
	ensure_pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross file
	check_sources
	local r
	r=$(arm64_root)
	say "building static ./clonebox-arm64"
	compile clonebox-arm64 aarch64-linux-gnu-gcc "${CFLAGS_COMMON[@]}" -O2 -static \
		-I"$r/usr/include/postgresql" -I"$r/usr/include" -I"$r/usr/include/aarch64-linux-gnu" \
		clonebox.c vendor/pq_shims.c \
		"$r/usr/lib/postgresql/15/lib/libpgfeutils.a" "$r/usr/lib/aarch64-linux-gnu/libpq.a" \
		"$r/usr/lib/postgresql/15/lib/libpgcommon_shlib.a" "$r/usr/lib/postgresql/15/lib/libpgport_shlib.a" \
		"$r/usr/lib/aarch64-linux-gnu/libsqlite3.a" "$r/usr/lib/aarch64-linux-gnu/libssl.a" \
		"$r/usr/lib/aarch64-linux-gnu/libcrypto.a" -lpthread -lm -ldl -o clonebox-arm64
	aarch64-linux-gnu-strip clonebox-arm64
	local desc
	desc=$(file -b clonebox-arm64)
	[[ $desc == *"ARM aarch64"*"statically linked"* ]] || { rm -f clonebox-arm64; die "./clonebox-arm64 is not a static arm64 binary: $desc"; }
	say "ok: ./clonebox-arm64 ($(du -h clonebox-arm64 | cut -f1), statically linked, stripped)"
}

# Dynamic build with sanitizers, against the shared libpq/SQLite/OpenSSL.
# pq_shims.c is not used here: the shared libpq brings real GSSAPI/LDAP.
build_asan() {
	ensure_pkgs "${BUILD_PKGS[@]}"
	check_sources
	local inc
	inc=$(pg_includedir)
	say "building ./clonebox-asan (AddressSanitizer + UndefinedBehaviorSanitizer)"
	compile clonebox-asan "$CC" "${CFLAGS_COMMON[@]}" -O1 \
		-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
		-I"$inc" clonebox.c "$PG_LIBDIR/libpgfeutils.a" -lpq "$PG_LIBDIR/libpgcommon.a" "$PG_LIBDIR/libpgport.a" \
		-lsqlite3 -lssl -lcrypto -lpthread -lm -o clonebox-asan
	say "ok: ./clonebox-asan"
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

cmd_test() {
	local asan=0 args=() a
	for a in "$@"; do
		if [[ $a == --asan ]]; then asan=1; else args+=("$a"); fi
	done
	ensure_pkgs "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
	if ((asan)); then
		build_asan
		export CLONEBOX_BIN=$ROOT/clonebox-asan
		export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
		export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
	else
		build_static
		export CLONEBOX_BIN=$ROOT/clonebox
	fi
	[[ -f tests/run.sh ]] || die "tests/run.sh not found"
	say "running tests/run.sh with CLONEBOX_BIN=$CLONEBOX_BIN"
	local rc=0
	bash tests/run.sh "${args[@]}" || rc=$?
	return "$rc"
}

cmd_demo() {
	ensure_pkgs "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"
	build_static
	[[ -f tests/lib.sh ]] || die "tests/lib.sh not found"
	[[ -f tests/fixture.sql ]] || die "tests/fixture.sql not found"
	export CLONEBOX_BIN=$ROOT/clonebox
	local tmp rc
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/clonebox-demo.XXXXXX")
	chmod 755 "$tmp" # the servers run as user postgres when we are root
	# The servers live only inside this subshell; lib.sh's cleanup (or ours,
	# if lib.sh installs no EXIT trap) stops them when it exits.  The subshell
	# must not run in a `||` context, or bash would ignore `set -e` inside it.
	set +e
	(
		set -e
		export TMPROOT=$tmp TESTS_DIR=$ROOT/tests REPO_DIR=$ROOT
		# shellcheck source=/dev/null
		source tests/lib.sh
		[[ -n $(trap -p EXIT) ]] || trap pg_stop_all EXIT
		say "starting throwaway servers"
		pg_start src || die "could not start the source server"
		pg_start dst || die "could not start the target server"
		# shellcheck disable=SC2154 # src_URL/dst_URL are set by pg_start
		{
			# Both servers are copies of one initdb (one system identifier), so
			# the clone goes into a database of another name: clonebox refuses a
			# target with the source's system identifier, OID and name.
			local src=${src_URL%/postgres}/app dst=${dst_URL%/postgres}/app_clone
			psql "$src_URL" -q -X -c "CREATE DATABASE app" && psql "$dst_URL" -q -X -c "CREATE DATABASE app_clone" ||
				die "creating the demo databases failed"
			say "source: $src"
			say "target: $dst"
			say "loading tests/fixture.sql into the source"
			psql "$src" -q -X -v ON_ERROR_STOP=1 -f tests/fixture.sql >/dev/null ||
				die "loading tests/fixture.sql failed"
			say "cloning (progress on stderr, report on stdout)"
			crc=0
			./clonebox clone --source "$src" --target "$dst" --state "$tmp/demo.db" || crc=$?
		}
		echo
		say "clonebox exit status: $crc"
		say "state file: $tmp/demo.db  (try: ./clonebox jobs --state $tmp/demo.db)"
		say "stopping servers"
		pg_stop_all
		exit "$crc"
	)
	rc=$?
	set -e
	# keep only the state file
	find "$tmp" -mindepth 1 -maxdepth 1 ! -name 'demo.db*' -exec rm -rf {} +
	[[ -e $tmp/demo.db ]] || rmdir "$tmp"
	return "$rc"
}

# cmd_fuzz [SECONDS]: build every tests/fuzz/fuzz_*.c as a libFuzzer binary
# (clang, ASan+UBSan, dynamic libpq/SQLite/OpenSSL) and run each for SECONDS
# (default 60) on a scratch copy of tests/fuzz/corpus/NAME, so that runs do
# not grow the repository.  Fails if any harness finds a crash, leak, UB or
# timeout; its inputs are kept in the scratch directory, which is named.
cmd_fuzz() {
	local secs=${1:-60}
	if [[ ! $secs =~ ^[0-9]+$ ]] || ((10#$secs == 0)); then
		die "fuzz: SECONDS must be a positive whole number, not '$secs'"
	fi
	ensure_pkgs "${BUILD_PKGS[@]}" clang libclang-rt-14-dev
	check_sources
	local inc tmp src name bin log stats failed=() rc
	inc=$(pg_includedir)
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/clonebox-fuzz.XXXXXX")
	for src in tests/fuzz/fuzz_*.c; do
		[[ -f $src ]] || die "no harness tests/fuzz/fuzz_*.c found"
		name=$(basename "$src" .c)
		say "building $name"
		compile "$tmp/$name" clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
			-fno-omit-frame-pointer -Wno-string-concatenation -I"$inc" "$src" \
			"$PG_LIBDIR/libpgfeutils.a" -lpq "$PG_LIBDIR/libpgcommon.a" "$PG_LIBDIR/libpgport.a" \
			-lsqlite3 -lssl -lcrypto -lpthread -lm -o "$tmp/$name"
	done
	for src in tests/fuzz/fuzz_*.c; do
		name=$(basename "$src" .c)
		bin=$tmp/$name log=$tmp/$name.log
		mkdir -p "$tmp/$name.corpus" "$tmp/$name.crashes"
		if [[ -d tests/fuzz/corpus/${name#fuzz_} ]]; then
			cp -R "tests/fuzz/corpus/${name#fuzz_}/." "$tmp/$name.corpus/"
		fi
		say "running $name for $((10#$secs))s"
		rc=0
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} "$bin" -max_total_time=$((10#$secs)) -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix="$tmp/$name.crashes/" "$tmp/$name.corpus" >"$log" 2>&1 || rc=$?
		stats=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -E 's/[[:space:]]+/ /g' || true)
		if ((rc == 0)); then
			say "ok: $name: $stats"
		else
			failed+=("$name")
			say "FAILED: $name (exit $rc): $stats"
			grep -m 1 -A 30 -E 'ERROR: |runtime error:|deadly signal|^fuzz_[a-z_]+: ' "$log" >&2 || tail -n 30 "$log" >&2
			say "inputs:" "$tmp/$name.crashes/"*
		fi
	done
	if ((${#failed[@]})); then
		say "fuzzing found problems in: ${failed[*]} (logs, binaries and inputs kept in $tmp;" \
			"reproduce: $tmp/NAME INPUT)"
		return 1
	fi
	rm -rf "$tmp"
	say "ok: every harness ran $((10#$secs))s without a finding"
}

# The man page, made from ./clonebox --help so that the two cannot
# disagree: usage, options (one .TP each, continuation lines joined),
# notes and exit codes.  Writes ./clonebox.1 (or $1).
cmd_man() {
	local out=${1:-clonebox.1}
	[[ -x ./clonebox ]] || build_static
	./clonebox --help | awk -v date="$(date -u +%Y-%m-%d)" '
		function esc(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); sub(/^[.'"'"']/, "\\\\\\&&", s); return s }
		NR == 1 {
			ver = $2; sub(/^clonebox [^ ]+ - /, "")
			printf ".TH CLONEBOX 1 \"%s\" \"clonebox %s\" \"User Commands\"\n.SH NAME\nclonebox \\- %s\n", date, ver, esc($0)
			next
		}
		NR == 2 { print esc($0); next }
		/^Usage:/ { print ".SH SYNOPSIS\n.nf"; mode = "usage"; next }
		/^Options:/ { print ".SH OPTIONS"; mode = "opt"; next }
		/^Exit codes:/ { print ".SH EXIT STATUS"; mode = "exit"; next }
		/^$/ { if (mode == "usage") print ".fi"; if (mode == "opt") print ".SH NOTES"; mode = ""; next }
		mode == "usage" { sub(/^  /, ""); print esc($0); next }
		mode == "opt" && /^  -/ {
			line = substr($0, 3); i = index(line, "  "); d = substr(line, i + 2); sub(/^ +/, "", d)
			printf ".TP\n.B %s\n%s\n", esc(substr(line, 1, i - 1)), esc(d); next
		}
		mode == "opt" { sub(/^ +/, ""); print esc($0); next }
		mode == "exit" { sub(/^ +/, ""); c = $1; sub(/^[0-9]+ +/, ""); printf ".TP\n.B %s\n%s\n", c, esc($0); next }
		{ print esc($0) }
	' >"$out"
	say "wrote $out"
}

# An SPDX 2.3 SBOM (JSON on stdout) of a release binary: clonebox itself
# and the Debian packages whose static archives are linked into it, with
# their versions (ARCH: amd64, the default, or arm64 from ./build.sh arm64).
cmd_sbom() {
	local arch=${1:-amd64} ver commit pkgs=() p v i=0 now
	ver=$(sed -n 's/^#define CLONEBOX_VERSION "\(.*\)"$/\1/p' clonebox.c)
	commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	if [[ $arch == arm64 ]]; then
		while read -r p v; do pkgs+=("$p $v"); done <"$(arm64_root)/versions.txt"
		pkgs+=("libc6-dev-arm64-cross $(dpkg-query -W -f='${Version}' libc6-dev-arm64-cross)")
	else
		for p in libc6-dev libpq-dev libsqlite3-dev libssl-dev "postgresql-server-dev-$PG_MAJOR"; do
			pkgs+=("$p $(dpkg-query -W -f='${Version}' "$p")")
		done
	fi
	printf '{\n  "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",\n'
	printf '  "name": "clonebox-%s-linux-%s", "documentNamespace": "https://spdx.org/spdxdocs/clonebox-%s-%s-%s",\n' \
		"$ver" "$arch" "$ver" "$arch" "$commit"
	printf '  "creationInfo": {"created": "%s", "creators": ["Tool: clonebox build.sh sbom"]},\n' "$now"
	printf '  "packages": [\n    {"SPDXID": "SPDXRef-clonebox", "name": "clonebox", "versionInfo": "%s", "downloadLocation": "NOASSERTION",\n' "$ver"
	printf '     "sourceInfo": "git commit %s", "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION"}' "$commit"
	for p in "${pkgs[@]}"; do
		i=$((i + 1))
		printf ',\n    {"SPDXID": "SPDXRef-deb-%d", "name": "%s", "versionInfo": "%s", "downloadLocation": "NOASSERTION",\n' \
			"$i" "${p%% *}" "${p#* }"
		printf '     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/debian/%s@%s?arch=%s"}],\n' \
			"${p%% *}" "${p#* }" "$arch"
		printf '     "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION"}'
	done
	printf '\n  ],\n  "relationships": [{"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-clonebox"}'
	for ((p = 1; p <= i; p++)); do
		printf ',\n    {"spdxElementId": "SPDXRef-clonebox", "relationshipType": "STATIC_LINK", "relatedSpdxElement": "SPDXRef-deb-%d"}' "$p"
	done
	printf '\n  ]\n}\n'
}

cmd_clean() {
	rm -f clonebox clonebox-asan clonebox-arm64 clonebox.1 ./*.o vendor/*.o
	rm -rf tests/tmp
	say "cleaned"
}

main() {
	local cmd=${1:-build}
	(($#)) && shift
	case $cmd in
	build)
		(($# == 0)) || { usage >&2; exit 2; }
		build_static ;;
	test) cmd_test "$@" ;;
	demo) cmd_demo ;;
	fuzz) cmd_fuzz "$@" ;;
	man) cmd_man "$@" ;;
	arm64) build_arm64 ;;
	sbom) cmd_sbom "$@" ;;
	clean) cmd_clean ;;
	help | -h | --help) usage ;;
	*) printf 'build.sh: unknown command: %s\n\n' "$cmd" >&2; usage >&2; exit 2 ;;
	esac
}

main "$@"
