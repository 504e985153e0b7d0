#!/usr/bin/env bash
# Builds the Nebula function suite three times with the same release profile:
#   wasm          wasm32-wasip1, its default features (no simd128)
#                 -> functions/target/wasm32-wasip1/release/NAME.wasm
#   wasm-simd128  wasm32-wasip1 with RUSTFLAGS="-C target-feature=+simd128"
#                 -> functions/target/simd128/wasm32-wasip1/release/NAME.wasm
#   native        the host, rustc's default target CPU (x86-64 on x86-64 Linux)
#                 -> functions/target/release/NAME
# then checks that every function of suite.toml has all three builds, and writes
# functions/target/builds.json: how each kind was built (triple, target CPU, target features,
# RUSTFLAGS), every file's SHA-256, and per native build the crates that choose instructions at
# run time. Nebula records it in each run's metadata.json (modules[].target).
#
# Each build's flags are set here and recorded: RUSTFLAGS from the environment and rustflags in
# cargo configs are not used. NEBULA_NATIVE_RUSTFLAGS sets the native build's (e.g.
# "-C target-cpu=native"); the comparison with wasm is then no longer like-for-like, and the
# record says so. Works from any directory.
set -euo pipefail
shopt -s inherit_errexit

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUNCTIONS="$ROOT/functions"
cd "$FUNCTIONS"
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_TARGET_DIR

# The function names, in manifest order: the `name = "..."` lines of suite.toml.
mapfile -t NAMES < <(sed -n 's/^[[:space:]]*name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' suite.toml)
if [ "${#NAMES[@]}" -eq 0 ]; then
    echo "error: no function names found in $FUNCTIONS/suite.toml" >&2
    exit 1
fi

HOST="$(rustc -vV | sed -n 's/^host: //p')"
WASM_FLAGS=""
SIMD_FLAGS="-C target-feature=+simd128"
NATIVE_FLAGS="${NEBULA_NATIVE_RUSTFLAGS:-}"
KINDS=(wasm wasm-simd128 native)

# Where each kind's builds go, its triple and its flags.
dir_of() {
    case "$1" in
        wasm) echo "$FUNCTIONS/target/wasm32-wasip1/release" ;;
        wasm-simd128) echo "$FUNCTIONS/target/simd128/wasm32-wasip1/release" ;;
        native) echo "$FUNCTIONS/target/release" ;;
    esac
}
triple_of() { if [ "$1" = native ]; then echo "$HOST"; else echo wasm32-wasip1; fi; }
flags_of() {
    case "$1" in
        wasm) echo "$WASM_FLAGS" ;;
        wasm-simd128) echo "$SIMD_FLAGS" ;;
        native) echo "$NATIVE_FLAGS" ;;
    esac
}
file_of() { if [ "$2" = native ]; then echo "$(dir_of "$2")/$1"; else echo "$(dir_of "$2")/$1.wasm"; fi; }

echo "==> rustup target add wasm32-wasip1"
rustup target add wasm32-wasip1

echo "==> wasm: cargo build --release --target wasm32-wasip1 (RUSTFLAGS=\"$WASM_FLAGS\")"
RUSTFLAGS="$WASM_FLAGS" cargo build --release --target wasm32-wasip1

echo "==> wasm-simd128: cargo build --release --target wasm32-wasip1 (RUSTFLAGS=\"$SIMD_FLAGS\", target/simd128)"
CARGO_TARGET_DIR="$FUNCTIONS/target/simd128" RUSTFLAGS="$SIMD_FLAGS" cargo build --release --target wasm32-wasip1

echo "==> native: cargo build --release (host $HOST, RUSTFLAGS=\"$NATIVE_FLAGS\")"
RUSTFLAGS="$NATIVE_FLAGS" cargo build --release

missing=0
echo
printf '%-22s %-13s %s\n' "function" "build" "path"
for name in "${NAMES[@]}"; do
    for kind in "${KINDS[@]}"; do
        path="$(file_of "$name" "$kind")"
        if [ -f "$path" ]; then
            printf '%-22s %-13s %s (%s bytes)\n' "$name" "$kind" "$path" "$(wc -c < "$path" | tr -d ' ')"
        else
            printf '%-22s %-13s MISSING: %s\n' "$name" "$kind" "$path" >&2
            missing=$((missing + 1))
        fi
    done
done
echo
if [ "$missing" -ne 0 ]; then
    echo "error: $missing of $((3 * ${#NAMES[@]})) builds are missing (see MISSING above)" >&2
    exit 1
fi

# --- functions/target/builds.json ---------------------------------------------------------

# $1 as a JSON string.
json() {
    local s="${1//\\/\\\\}"
    s="${s//\"/\\\"}"
    printf '"%s"' "$s"
}

# The lines of stdin as a JSON array of strings.
json_lines() {
    local first=1 line
    printf '['
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        [ "$first" -eq 1 ] || printf ', '
        json "$line"
        first=0
    done
    printf ']'
}

# The target CPU a kind is compiled for: `-C target-cpu=` in its flags, else rustc's default
# for the triple; `native` with the CPU it stands for.
cpu_of() {
    local triple flags cpu cpus
    triple="$(triple_of "$1")"
    flags="$(flags_of "$1")"
    cpu="$(sed -n 's/.*-C *target-cpu=\([^ ]*\).*/\1/p' <<< "$flags")"
    # shellcheck disable=SC2086 # the flags are words
    cpus="$(rustc --print target-cpus --target "$triple" $flags 2>/dev/null || true)"
    if [ -z "$cpu" ]; then
        cpu="$(sed -n 's/^ *\([^ ]*\) *- This is the default target CPU.*/\1/p' <<< "$cpus" | head -n 1)"
    elif [ "$cpu" = native ]; then
        cpu="native ($(sed -n 's/^ *native .*(currently \([^)]*\)).*/\1/p' <<< "$cpus" | head -n 1))"
    fi
    echo "${cpu:-unknown}"
}

# The target features rustc enables for a kind's triple and flags (crt-static, a linking
# choice, left out).
features_of() {
    # shellcheck disable=SC2086 # the flags are words
    rustc --print cfg --target "$(triple_of "$1")" $(flags_of "$1") |
        sed -n 's/^target_feature="\(.*\)"$/\1/p' | { grep -vx crt-static || true; } | sort
}

# Whether a registry crate's source detects CPU features at run time to choose its code
# (cpufeatures, is_x86_feature_detected!, is_aarch64_feature_detected!). Memoized.
declare -A DETECTS=()
CRATES_SRC="${CARGO_HOME:-$HOME/.cargo}/registry/src"
detects() {
    local key="$1-$2" dir
    if [ -z "${DETECTS[$key]+x}" ]; then
        DETECTS[$key]=no
        for dir in "$CRATES_SRC"/*/"$key"; do
            [ -d "$dir" ] || continue
            if grep -rqE 'cpufeatures::new!|is_x86_feature_detected!|is_aarch64_feature_detected!' \
                --include='*.rs' "$dir"; then
                DETECTS[$key]=yes
            fi
            break
        done
    fi
    [ "${DETECTS[$key]}" = yes ]
}

# The crates of a function's native build that choose instructions at run time, as a JSON array.
# Registry crates only: those from a path or git source (the suite's own among them) are not
# searched.
dispatch_of() {
    local first=1 line pkg feats name version forced tree
    # The function's own manifest: `-p NAME` is ambiguous where a dependency has its name (image).
    tree="$(cargo tree -q --manifest-path "$FUNCTIONS/$1/Cargo.toml" -e normal --target "$HOST" \
        --prefix none -f '{p}|{f}' | sort -u)"
    printf '['
    while IFS= read -r line; do
        line="${line% (\*)}"
        pkg="${line%%|*}"
        feats="${line#*|}"
        case "$pkg" in *"("*) continue ;; esac # the workspace's own crates
        name="${pkg% v*}"
        version="${pkg##* v}"
        [ "$name" != cpufeatures ] || continue # the detector itself: its users choose
        detects "$name" "$version" || continue
        forced=false
        case ",$feats," in *,force-soft,*) forced=true ;; esac
        [ "$first" -eq 1 ] || printf ', '
        printf '{"name": %s, "version": %s, "features": %s, "forced_soft": %s}' \
            "$(json "$name")" "$(json "$version")" "$(tr ',' '\n' <<< "$feats" | json_lines)" "$forced"
        first=0
    done <<< "$tree"
    printf ']'
}

declare -A DISPATCH=()
for name in "${NAMES[@]}"; do DISPATCH[$name]="$(dispatch_of "$name")"; done

MANIFEST="$FUNCTIONS/target/builds.json"
{
    printf '{\n  "written_by": "scripts/build-functions.sh",\n'
    printf '  "rustc": %s,\n  "builds": {\n' "$(json "$(rustc --version)")"
    sep=""
    for kind in "${KINDS[@]}"; do
        printf '%s    %s: {"triple": %s, "rustflags": %s, "cpu": %s, "features": %s}' "$sep" \
            "$(json "$kind")" "$(json "$(triple_of "$kind")")" "$(json "$(flags_of "$kind")")" \
            "$(json "$(cpu_of "$kind")")" "$(features_of "$kind" | json_lines)"
        sep=$',\n'
    done
    printf '\n  },\n  "files": [\n'
    sep=""
    for name in "${NAMES[@]}"; do
        for kind in "${KINDS[@]}"; do
            sha="$(sha256sum "$(file_of "$name" "$kind")" | cut -d' ' -f1)"
            dispatch='[]'
            if [ "$kind" = native ]; then dispatch="${DISPATCH[$name]}"; fi
            printf '%s    {"function": %s, "build": %s, "sha256": %s, "runtime_dispatch": %s}' "$sep" \
                "$(json "$name")" "$(json "$kind")" "$(json "$sha")" "$dispatch"
            sep=$',\n'
        done
    done
    printf '\n  ]\n}\n'
} > "$MANIFEST.tmp"
mv "$MANIFEST.tmp" "$MANIFEST"

echo "native build: target $HOST, target-cpu $(cpu_of native), features: $(features_of native | tr '\n' ' ')"
for name in "${NAMES[@]}"; do
    if [ "${DISPATCH[$name]}" != "[]" ]; then
        echo "  $name: crates that choose instructions at run time: ${DISPATCH[$name]}"
    fi
done
if [ -n "$NATIVE_FLAGS" ]; then
    echo "note: the native build has RUSTFLAGS=\"$NATIVE_FLAGS\" (NEBULA_NATIVE_RUSTFLAGS): the comparison with wasm is not like-for-like"
fi
echo "ok: all ${#NAMES[@]} functions built for wasm32-wasip1 ($(dir_of wasm)),"
echo "    with simd128 ($(dir_of wasm-simd128)) and natively ($(dir_of native));"
echo "    what each was compiled for: $MANIFEST"
