#!/usr/bin/env bash
# Builds on this machine what cloudbuild.yaml builds for BRANCH (build/<app>): the app bundle,
# then the image, with docker, podman or buildah. The sources are the work tree as it is.
set -euo pipefail
# shellcheck source=deploy/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat <<EOF
usage: deploy/local.sh BRANCH [options]

BRANCH is build/<app>, one of: $(manageos_apps | sed 's/^/build\//' | tr '\n' ' ')

options:
  --builder NAME     docker, podman or buildah (default: the first one present)
  --no-image         stop after the app bundle (turbo build on this machine)
  --tag TAG          image tag (default: the commit's short sha, -dirty if the tree differs)
  --set KEY=VALUE    override a setting of deploy/build.<app>.env (repeatable),
                     e.g. --set NODEOS_IMAGE=localhost/my-nodeos:dev
  --push             push the image after building it
  -h, --help         this help

environment: REGISTRY (default gcr.io/\$PROJECT_ID when PROJECT_ID is set, else localhost);
buildah honours STORAGE_DRIVER and BUILDAH_ISOLATION.
EOF
}

branch="" builder="" no_image=0 tag="" push=0 overrides=()
while [ $# -gt 0 ]; do
  case "$1" in
    --builder) builder="${2:?--builder needs a value}"; shift 2 ;;
    --builder=*) builder="${1#*=}"; shift ;;
    --no-image) no_image=1; shift ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --set) overrides+=("${2:?--set needs KEY=VALUE}"); shift 2 ;;
    --push) push=1; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 64 ;;
    *)
      if [ -n "$branch" ]; then echo "one branch only (got '$branch' and '$1')" >&2; exit 64; fi
      branch="$1"; shift ;;
  esac
done
if [ -z "$branch" ]; then usage >&2; exit 64; fi

app="$(manageos_app_from_branch "$branch")" || exit 1
manageos_load_env "$app" "${overrides[@]}"
revision="$(manageos_revision)"
tag="${tag:-$revision}"

if [ "$no_image" = 1 ]; then
  echo "building the $app bundle with turbo" >&2
  (cd "$MANAGEOS_ROOT" && TURBO_TELEMETRY_DISABLED=1 npx turbo run build --filter="@manageos/app-$app..." --output-logs=errors-only) >&2
  bundle="$MANAGEOS_ROOT/apps/$app/dist/index.js"
  [ -f "$bundle" ] || { echo "the build did not produce $bundle" >&2; exit 1; }
  echo "$bundle"
  exit 0
fi

if [ -n "$builder" ]; then
  case "$builder" in docker | podman | buildah) ;; *) echo "unknown builder '$builder' (docker, podman or buildah)" >&2; exit 64 ;; esac
  command -v "$builder" >/dev/null 2>&1 || { echo "builder '$builder' is not installed" >&2; exit 1; }
else
  builder="$(manageos_detect_builder)" || exit 1
fi

ref="$(manageos_image_ref "$tag")"
context="$(mktemp -d "${TMPDIR:-/tmp}/manageos-context.XXXXXX")"
trap 'rm -rf "$context"' EXIT
manageos_stage_context "$context"
mapfile -d '' cmd < <(manageos_build_command "$builder" "$context" "$ref" "$revision")
echo "building $ref with $builder (from $NODE_IMAGE, nodeos from $NODEOS_IMAGE:$NODEOS_PATH)" >&2
"${cmd[@]}" >&2
if [ "$push" = 1 ]; then "$builder" push "$ref" >&2; fi
echo "$ref"
