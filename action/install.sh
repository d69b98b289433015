#!/usr/bin/env bash
# Puts kusto-principals on PATH for the job's later steps.
#   KP_INSTALL=release (default): the release archive of KP_VERSION for this runner, from
#     KP_RELEASES_URL (default: the GitHub releases of KP_REPOSITORY), refused unless its SHA-256 is
#     the expected one: KP_SHA256 when given, else the digest pinned in action/checksums.txt, else
#     (with a warning: that only catches a corrupted download) the release's own .sha256 file.
#   KP_INSTALL=source: `cargo install --locked` from the action's own checkout (any commit).
#   KP_INSTALL=none: use the kusto-principals already on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$here/lib.sh"
need RUNNER_TEMP
: "${KP_INSTALL:=release}"
bin_dir="$RUNNER_TEMP/kusto-principals-bin"

add_to_path() {
  if [ -n "${GITHUB_PATH:-}" ]; then echo "$1" >>"$GITHUB_PATH"; fi
  PATH="$1:$PATH"
}

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

runner_target() {
  case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
    Linux/X64) echo x86_64-unknown-linux-gnu ;;
    Linux/ARM64) echo aarch64-unknown-linux-gnu ;;
    macOS/X64) echo x86_64-apple-darwin ;;
    macOS/ARM64) echo aarch64-apple-darwin ;;
    Windows/X64) echo x86_64-pc-windows-msvc ;;
    *) die "no release for runner ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}: use install: source" ;;
  esac
}

install_release() {
  need KP_VERSION
  local target archive base url want got tmp
  target=$(runner_target)
  case "$target" in *windows*) archive="kusto-principals-$target.zip" ;; *) archive="kusto-principals-$target.tar.xz" ;; esac
  if [ -z "${KP_RELEASES_URL:-}" ]; then
    local repo=${KP_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}
    [ -n "$repo" ] || die "which repository's releases? set the action's repository input (or install: source)"
    KP_RELEASES_URL="${GITHUB_SERVER_URL:-https://github.com}/$repo/releases/download"
  fi
  base="$KP_RELEASES_URL/v$KP_VERSION"
  mkdir -p "$RUNNER_TEMP"
  tmp=$(mktemp -d "$RUNNER_TEMP/kusto-principals-download.XXXXXX")
  url="$base/$archive"
  echo "downloading $url"
  curl --fail --silent --show-error --location --proto '=https,file' --retry 3 --max-time 300 \
    -o "$tmp/$archive" "$url" || die "could not download $url"

  want=${KP_SHA256:-}
  if [ -z "$want" ] && [ -f "$here/checksums.txt" ]; then
    want=$(awk -v v="$KP_VERSION" -v a="$archive" '$1 == v && $2 == a { print $3 }' "$here/checksums.txt")
  fi
  if [ -z "$want" ]; then
    echo "::warning title=kusto-principals::no pinned SHA-256 for $archive $KP_VERSION: checking it against the release's own checksum only (set the sha256 input to pin it)"
    curl --fail --silent --show-error --location --proto '=https,file' --retry 3 --max-time 60 \
      -o "$tmp/$archive.sha256" "$url.sha256" || die "could not download $url.sha256"
    read -r want _ <"$tmp/$archive.sha256"
  fi
  got=$(sha256_of "$tmp/$archive")
  if [ "$got" != "$want" ]; then
    rm -rf "$tmp"
    die "SHA-256 of $archive is $got, expected $want: not installed"
  fi
  echo "SHA-256 $got verified"

  rm -rf "$bin_dir" && mkdir -p "$bin_dir"
  case "$archive" in
    *.zip) unzip -q -o "$tmp/$archive" -d "$tmp/x" ;;
    *) mkdir -p "$tmp/x" && tar -xJf "$tmp/$archive" -C "$tmp/x" ;;
  esac
  local exe
  exe=$(find "$tmp/x" -type f \( -name kusto-principals -o -name kusto-principals.exe \) | head -n 1)
  [ -n "$exe" ] || die "$archive holds no kusto-principals binary"
  mv "$exe" "$bin_dir/" && chmod +x "$bin_dir/$(basename "$exe")"
  rm -rf "$tmp"
  add_to_path "$bin_dir"
}

install_source() {
  local root="$RUNNER_TEMP/kusto-principals-cargo"
  cargo install --locked --path "$here/.." --root "$root"
  add_to_path "$root/bin"
}

case "$KP_INSTALL" in
  release) install_release ;;
  source) install_source ;;
  none) command -v kusto-principals >/dev/null || die "install: none, but kusto-principals is not on PATH" ;;
  *) die "install must be release, source or none, not '$KP_INSTALL'" ;;
esac
version=$(kusto-principals --version)
echo "installed $version"
if [ -n "${GITHUB_OUTPUT:-}" ]; then output version "${version#kusto-principals }"; fi
