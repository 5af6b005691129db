#!/usr/bin/env bash
# Builds BRANCH (build/<app>) remotely with the cloud build service, running cloudbuild.yaml on
# the sources of this work tree, as a push of the branch would.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: deploy/submit.sh BRANCH [--project ID] [--dry-run]

BRANCH is build/<app>, one of: $(manageos_apps | sed 's/^/build\//' | tr '\n' ' ')
  --project ID   Google Cloud project (default: gcloud's configured project)
  --dry-run      print the gcloud command instead of running it
EOF
}

branch="" project="" dry_run=0
while [ $# -gt 0 ]; do
  case "$1" in
    --project) project="${2:?--project needs a value}"; shift 2 ;;
    --dry-run) dry_run=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 64 ;;
    *) branch="$1"; shift ;;
  esac
done
if [ -z "$branch" ]; then usage >&2; exit 64; fi

app="$(manageos_app_from_branch "$branch")" || exit 1
manageos_load_env "$app"
revision="$(manageos_revision)"

cmd=(gcloud builds submit "$MANAGEOS_ROOT" --config "$MANAGEOS_ROOT/cloudbuild.yaml"
  --substitutions "BRANCH_NAME=$branch,SHORT_SHA=$revision")
if [ -n "$project" ]; then cmd+=(--project "$project"); fi

if [ "$dry_run" = 1 ]; then
  printf '%q ' "${cmd[@]}"
  echo
  exit 0
fi
command -v gcloud >/dev/null 2>&1 || { echo "gcloud is not installed (https://cloud.google.com/sdk)" >&2; exit 1; }
"${cmd[@]}"
