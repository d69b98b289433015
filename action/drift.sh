#!/usr/bin/env bash
# drift mode, on a schedule: plan the default branch's file against Azure. When Azure no longer
# matches, open ONE issue per file (found again by a hidden marker) or update its body, with the
# Markdown plan (capped to fit an issue) and the saved plan left for the upload step as an
# artifact; when it matches again, close that issue. A failed check updates the issue with the
# error and fails the job.
#
# Outputs: exitcode (of plan), drift, saved, plan-path, artifact-name.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need GITHUB_REPOSITORY GITHUB_OUTPUT RUNNER_TEMP

dir=$(work_dir)
rm -f "$dir/plan.json" "$dir/plan.md" "$dir/plan.err"
name="kusto-drift-$(file_key "$KP_FILE")"
marker="<!-- kusto-principals drift: $(file_key "$KP_FILE") -->"

set +e
kusto-principals "${KP_EXTRA[@]}" plan -f "$KP_FILE" --auth "$KP_AUTH" --no-progress \
  --detailed-exitcode --format markdown --out "$dir/plan.json" >"$dir/plan.md" 2>"$dir/plan.err"
code=$?
set -e
show_inert "$dir/plan.err"
saved=false
if [ "$code" = 2 ] && [ -s "$dir/plan.json" ]; then saved=true; fi
output exitcode "$code"
output drift "$([ "$code" = 2 ] && echo true || echo false)"
output saved "$saved"
output plan-path "$dir/plan.json"
output artifact-name "$name"

# The open issue of this file, if any (pull requests are issues too: skip them).
issue=$(gh api --paginate "repos/$GITHUB_REPOSITORY/issues?state=open&per_page=100" |
  jq -rs --arg m "$marker" --arg who "$KP_COMMENT_AUTHOR" '[(add // [])[] | select(.pull_request == null)
      | select(.user.login == $who) | select((.body // "") | startswith($m))] | first | .number // empty')

if [ "$code" = 0 ]; then
  echo "no drift: Azure matches $KP_FILE"
  if [ -n "$issue" ]; then
    gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$issue/comments" \
      -f "body=Azure matches \`$KP_FILE\` again ([run]($(run_url))). Closing." >/dev/null
    gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/$issue" -f state=closed >/dev/null
    echo "closed #$issue"
  fi
  exit 0
fi

body="$dir/issue.md"
{
  echo "$marker"
  if [ "$code" = 2 ]; then
    echo "Azure no longer matches \`$KP_FILE\` on the default branch: the scheduled plan found changes."
    echo "Applying the file would make them; if the change in Azure was intended, put it in the file."
  else
    echo "The scheduled drift check of \`$KP_FILE\` failed, so drift is unknown."
  fi
  echo
  if [ -s "$dir/plan.md" ]; then cat "$dir/plan.md"; echo; fi
  if [ "$code" != 2 ]; then error_block "$dir/plan.err"; echo; fi
  if [ "$saved" = true ]; then
    echo "<sub>$(kusto-principals --version). Whole plan: artifact \`$name\` of [this run]($(run_url)) (JSON, as \`plan --out\` saves it).</sub>"
  else
    echo "<sub>$(kusto-principals --version). [This run]($(run_url)).</sub>"
  fi
} >"$body"
fit_comment "$body" "[This run]($(run_url)) has the artifact \`$name\`."
to_summary "$body"

if [ -n "$issue" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/$issue" -F "body=@$body" >/dev/null
  echo "updated #$issue"
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues" -f "title=Kusto access drift: $KP_FILE" \
    -F "body=@$body" >/dev/null
  echo "opened an issue"
fi
if [ "$code" != 2 ]; then
  exit 1
fi
