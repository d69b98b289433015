#!/usr/bin/env bash
# apply mode, on a push to the default branch: find the pull request merged at this commit, fetch
# the plan its plan job saved for the PR's head commit (the plan reviewers saw), and run
# `apply PLAN.json -f FILE`, which re-plans the merged file and refuses (exit 3, no write) unless it
# gives the same changes and Azure is as it was. The report goes to the pull request as a comment.
#
# Outputs: exitcode (of apply), pull-request. Exits with apply's code when it did not succeed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need GITHUB_REPOSITORY GITHUB_SHA GITHUB_OUTPUT RUNNER_TEMP

dir=$(work_dir)
rm -rf "$dir/artifact" "$dir/apply.out" "$dir/apply.err"

# The pull request whose merge made this commit: merged, and merged as exactly this commit.
pr=$(gh api "repos/$GITHUB_REPOSITORY/commits/$GITHUB_SHA/pulls" |
  jq -c --arg sha "$GITHUB_SHA" '[.[] | select(.merged_at != null and .merge_commit_sha == $sha)] | first // empty')
[ -n "$pr" ] || die "no pull request was merged as $GITHUB_SHA: there is no reviewed plan to apply (push changes through a pull request)"
number=$(jq -r '.number' <<<"$pr")
head_sha=$(jq -r '.head.sha' <<<"$pr")
output pull-request "$number"
name=$(artifact_name "$head_sha")
echo "commit $GITHUB_SHA merged pull request #$number; its reviewed plan is $name"

comment() {
  local body="$dir/apply-comment.md"
  {
    echo "<!-- kusto-principals apply: $(file_key "$KP_FILE") -->"
    echo "### kusto-principals apply for \`$KP_FILE\` at \`$GITHUB_SHA\`"
    echo
    cat
    echo
    echo "<sub>$(kusto-principals --version), plan \`$name\` of commit \`$head_sha\`. [This run]($(run_url)).</sub>"
  } >"$body"
  fit_comment "$body" "[This run]($(run_url)) has the whole report."
  to_summary "$body"
  if ! gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$number/comments" -F "body=@$body" >/dev/null; then
    echo "::warning title=kusto-principals::could not comment on #$number (does the job have pull-requests: write?)"
  fi
}

# The newest unexpired artifact of that name (a re-run of the plan job makes another) made by a run
# of that head commit in this repository: a run from a fork runs the fork's workflow, which could
# upload anything under any name. (apply -f FILE re-plans the merged file anyway.)
run_id=$(gh api "repos/$GITHUB_REPOSITORY/actions/artifacts?name=$name&per_page=100" |
  jq -r --arg head "$head_sha" '[.artifacts[] | select(.expired | not)
      | select(.workflow_run.head_sha == $head)
      | select(.workflow_run.head_repository_id == .workflow_run.repository_id)]
    | first | .workflow_run.id // empty')
if [ -z "$run_id" ]; then
  echo "No plan artifact \`$name\`: the plan job of #$number did not save one for its head commit (it failed, or the artifact expired). Nothing was applied; re-run the plan on a new pull request." | comment
  die "no plan artifact $name for pull request #$number: nothing applied"
fi
gh run download "$run_id" --repo "$GITHUB_REPOSITORY" --name "$name" --dir "$dir/artifact"
[ -f "$dir/artifact/plan.json" ] || die "artifact $name of run $run_id has no plan.json"

set +e
kusto-principals "${KP_EXTRA[@]}" apply "$dir/artifact/plan.json" -f "$KP_FILE" --auth "$KP_AUTH" \
  --auto-approve --no-progress >"$dir/apply.out" 2>"$dir/apply.err"
code=$?
set -e
show_inert "$dir/apply.out"
show_inert "$dir/apply.err"
output exitcode "$code"

{
  case "$code" in
    0) echo "Applied the reviewed plan." ;;
    3) echo "> [!CAUTION]"
       echo "> **Refused, nothing was written**: the merged file no longer plans to the reviewed changes, or Azure changed since the plan. Open a pull request to plan again." ;;
    *) echo "> [!WARNING]"
       echo "> **Apply failed** (exit $code). Every change that succeeded is kept; a rerun converges." ;;
  esac
  echo
  if [ -s "$dir/apply.out" ]; then
    printf '```text\n'
    head_bytes "$dir/apply.out" 50000 | tr '`' "'"
    printf '\n```\n'
  fi
  if [ "$code" != 0 ]; then
    error_block "$dir/apply.err"
  fi
} | comment

if [ "$code" != 0 ]; then
  exit "$code"
fi
