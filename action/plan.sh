#!/usr/bin/env bash
# plan mode, on a pull request: validate the file (annotations on the diff), plan it, write the
# Markdown plan to the step summary and to ONE comment per file on the pull request (created, then
# updated in place), also when the plan fails. The saved plan is left for the upload step under the
# name the apply mode looks for: kusto-plan-<head SHA>-<file>.
#
# Outputs: exitcode (of plan: 0 no changes, 2 changes, 1 failed), changes, saved, plan-path,
# artifact-name. Exits 1 when validate or plan failed, after commenting.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
need GITHUB_REPOSITORY GITHUB_EVENT_PATH GITHUB_OUTPUT RUNNER_TEMP

number=$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")
[ -n "$number" ] || die "plan mode runs on pull_request events: this event has no pull request"
head_sha=$(jq -r '.pull_request.head.sha' "$GITHUB_EVENT_PATH")
head_repo=$(jq -r '.pull_request.head.repo.full_name // empty' "$GITHUB_EVENT_PATH")
base_repo=$(jq -r '.pull_request.base.repo.full_name // empty' "$GITHUB_EVENT_PATH")
dir=$(work_dir)
name=$(artifact_name "$head_sha")
marker="<!-- kusto-principals plan: $(file_key "$KP_FILE") -->"
rm -f "$dir/plan.json" "$dir/plan.md" "$dir/plan.err"

# Annotations go to stdout, where the runner reads them.
set +e
kusto-principals "${KP_EXTRA[@]}" validate -f "$KP_FILE" --format github
valid=$?
code=1
if [ "$valid" = 0 ]; then
  kusto-principals "${KP_EXTRA[@]}" plan -f "$KP_FILE" --auth "$KP_AUTH" --no-progress \
    --detailed-exitcode --format markdown --out "$dir/plan.json" >"$dir/plan.md" 2>"$dir/plan.err"
  code=$?
else
  kusto-principals "${KP_EXTRA[@]}" validate -f "$KP_FILE" >"$dir/plan.err" 2>&1
fi
set -e
show_inert "$dir/plan.err"

saved=false
if [ "$code" != 1 ] && [ -s "$dir/plan.json" ]; then saved=true; fi
link="Whole plan: artifact \`$name\` of [this run]($(run_url))."
body="$dir/comment.md"
{
  echo "$marker"
  if [ -s "$dir/plan.md" ]; then
    cat "$dir/plan.md"
  else
    echo "### kusto-principals plan for \`$KP_FILE\`"
  fi
  echo
  if [ "$code" = 1 ]; then
    echo "> [!CAUTION]"
    echo "> **The plan failed**: this commit cannot be applied. The error:"
    echo
    error_block "$dir/plan.err"
    echo
  fi
  if [ "$saved" = true ]; then
    echo "<sub>$(kusto-principals --version), commit \`$head_sha\`. $link Merging applies exactly this plan, or refuses if Azure or the file changed since.</sub>"
  else
    echo "<sub>$(kusto-principals --version), commit \`$head_sha\`. [This run]($(run_url)).</sub>"
  fi
} >"$body"
fit_comment "$body" "$link"
to_summary "$body"

if [ -n "$head_repo" ] && [ "$head_repo" != "$base_repo" ]; then
  echo "::notice title=kusto-principals::pull request from the fork $head_repo: its token cannot comment, so the plan is only in this run's summary"
elif ! upsert_comment "$number" "$marker" "$body"; then
  echo "::warning title=kusto-principals::could not comment on #$number (does the job have pull-requests: write?); the plan is in this run's summary"
fi

output exitcode "$code"
output changes "$([ "$code" = 2 ] && echo true || echo false)"
output saved "$saved"
output plan-path "$dir/plan.json"
output artifact-name "$name"
if [ "$code" = 1 ]; then
  exit 1
fi
