#!/usr/bin/env bash
# The action's main step: runs the script of the mode asked for (KP_MODE: plan, apply or drift).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
case "${KP_MODE:-}" in
  plan | apply | drift) exec bash "$here/$KP_MODE.sh" ;;
  *)
    echo "::error title=kusto-principals::mode must be plan, apply or drift, not '${KP_MODE:-}'"
    exit 1
    ;;
esac
