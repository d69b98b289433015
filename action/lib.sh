# shellcheck shell=bash
# Shared by the action's scripts (sourced, not run): the inputs, the GitHub context, names derived
# from the file, size caps and the one-comment-per-file upsert. Every script runs outside GitHub too
# (the tests run them with a stand-in `gh`), so nothing here assumes more than bash, jq and gh.

set -euo pipefail

# Inputs (action.yml maps them to these variables).
: "${KP_FILE:=principals.yaml}"
: "${KP_AUTH:=github-oidc}"
# Extra global options (e.g. --cloud usgov), split on spaces; used by the scripts that source this.
KP_EXTRA=()
if [ -n "${KP_ARGS:-}" ]; then
  # shellcheck disable=SC2034
  read -r -a KP_EXTRA <<<"$KP_ARGS"
fi

# GitHub's limit on a comment or issue body, in characters.
readonly COMMENT_LIMIT=65536
# The most of an error message a comment quotes (the renderer leaves 2,048 characters for us).
readonly ERROR_CAP=1200

die() {
  echo "::error title=kusto-principals::$*"
  exit 1
}

need() {
  local v
  for v in "$@"; do
    [ -n "${!v:-}" ] || die "$v is not set: run this script from the kusto-principals action"
  done
}

# The file's path with every character outside [A-Za-z0-9._-] as '-': safe in artifact names and in
# the hidden marker that finds this file's comment again.
file_key() {
  printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '-'
}

# The artifact that holds the plan of FILE made at commit SHA (the pull request's head).
artifact_name() {
  echo "kusto-plan-$1-$(file_key "$KP_FILE")"
}

# A directory of this run for this file's outputs.
work_dir() {
  local d
  d="${RUNNER_TEMP:?}/kusto-principals/$(file_key "$KP_FILE")"
  mkdir -p "$d"
  echo "$d"
}

output() {
  echo "$1=$2" >>"${GITHUB_OUTPUT:?}"
}

run_url() {
  echo "${GITHUB_SERVER_URL:-https://github.com}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID:-0}"
}

# At most MAX bytes of FILE (so at most MAX characters), never cutting a UTF-8 character in two.
head_bytes() {
  head -c "$2" "$1" | iconv -c -f UTF-8 -t UTF-8
  if [ "$(wc -c <"$1")" -gt "$2" ]; then
    printf '\n… (cut)\n'
  fi
}

# Prints FILE (the binary's output: it quotes the file and Azure) to the job's log with workflow
# commands turned off, so that no line of it can act as `::add-mask::`, `::error::` and the like.
show_inert() {
  local token
  token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  echo "::stop-commands::$token"
  cat "$1"
  echo "::$token::"
}

chars() {
  LC_ALL=C.UTF-8 wc -m <"$1" | tr -d ' '
}

# Appends BODY to the step summary, when there is one (GitHub caps a step's summary at 1 MiB; a
# body is at most one comment, 65,536 characters).
to_summary() {
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
    cat "$1" >>"$GITHUB_STEP_SUMMARY"
  fi
}

# Replaces BODY with a short note when it would pass GitHub's limit (only a pathological error or
# plan gets here: the renderer already caps the plan).
fit_comment() {
  local body=$1 link=$2
  if [ "$(chars "$body")" -gt "$COMMENT_LIMIT" ]; then
    head -n 1 "$body" >"$body.short"
    printf '\nThe plan is too long for a comment. %s\n' "$link" >>"$body.short"
    mv "$body.short" "$body"
  fi
}

# Who writes the comments and issues: only theirs are found again by marker, so that anyone else's
# comment quoting the marker is neither edited (which would fail) nor taken for ours.
: "${KP_COMMENT_AUTHOR:=github-actions[bot]}"

# Creates or updates the one comment of issue/PR NUMBER whose body starts with MARKER.
upsert_comment() {
  local number=$1 marker=$2 body=$3 id
  id=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues/$number/comments?per_page=100" |
    jq -rs --arg m "$marker" --arg who "$KP_COMMENT_AUTHOR" '[(add // [])[]
        | select(.user.login == $who) | select((.body // "") | startswith($m))] | first | .id // empty')
  if [ -n "$id" ]; then
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$body" >/dev/null
    echo "updated comment $id on #$number"
  else
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$number/comments" -F "body=@$body" >/dev/null
    echo "commented on #$number"
  fi
}

# The error of a failed command as a fenced block, at most ERROR_CAP bytes. Backticks become
# apostrophes so that no text from the file or from Azure can close the fence and become Markdown.
error_block() {
  printf '```text\n'
  head_bytes "$1" "$ERROR_CAP" | tr '`' "'"
  printf '\n```\n'
}
