# shellcheck shell=bash
# Shared by deploy/local.sh, deploy/submit.sh and cloudbuild.yaml: which app a branch builds,
# the build settings of an app (deploy/build.<app>.env), the image reference and the build
# command. Source it; every function prints errors to stderr and returns non-zero.

MANAGEOS_DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MANAGEOS_ROOT="$(dirname "$MANAGEOS_DEPLOY_DIR")"
# The keys a build.<app>.env may set; all of them reach the Dockerfile as build args.
MANAGEOS_ENV_KEYS=(APP IMAGE NODE_IMAGE NODEOS_IMAGE NODEOS_PATH RUNTIME_APT_PACKAGES FLAVOUR MINDREADER)

# The apps that have a build.<app>.env, one per line.
manageos_apps() {
  local file name
  for file in "$MANAGEOS_DEPLOY_DIR"/build.*.env; do
    [ -e "$file" ] || continue
    name="${file##*/build.}"
    echo "${name%.env}"
  done
}

# build/<app> -> <app>; anything else, or an app without an env file, fails listing the valid apps.
manageos_app_from_branch() {
  local branch="$1" app
  case "$branch" in
    build/?*) app="${branch#build/}" ;;
    *)
      echo "branch '$branch' is not a build branch: expected build/<app>, one of: $(manageos_apps | tr '\n' ' ')" >&2
      return 1
      ;;
  esac
  if [ ! -f "$MANAGEOS_DEPLOY_DIR/build.$app.env" ]; then
    echo "unknown app '$app' (no deploy/build.$app.env); valid apps: $(manageos_apps | tr '\n' ' ')" >&2
    return 1
  fi
  echo "$app"
}

# Reads deploy/build.<app>.env into the MANAGEOS_ENV_KEYS variables (KEY=value lines, no shell
# evaluation), then applies overrides given as KEY=value arguments.
manageos_load_env() {
  local app="$1" file line key value
  shift
  file="$MANAGEOS_DEPLOY_DIR/build.$app.env"
  [ -f "$file" ] || { echo "missing $file" >&2; return 1; }
  for key in "${MANAGEOS_ENV_KEYS[@]}"; do unset "$key"; done
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    manageos_set_key "$line" "$file" || return 1
  done <"$file"
  for line in "$@"; do manageos_set_key "$line" "override" || return 1; done
  if [ "${APP:-}" != "$app" ]; then
    echo "$file: APP=${APP:-} does not match the file name (expected APP=$app)" >&2
    return 1
  fi
  for key in APP IMAGE NODE_IMAGE NODEOS_IMAGE NODEOS_PATH; do
    if [ -z "${!key:-}" ]; then echo "$file: $key is empty" >&2; return 1; fi
  done
}

# Sets one KEY=value, refusing keys the Dockerfile does not know.
manageos_set_key() {
  local line="$1" where="$2" key value known
  key="${line%%=*}"
  value="${line#*=}"
  if [ "$key" = "$line" ]; then echo "$where: expected KEY=value, got '$line'" >&2; return 1; fi
  for known in "${MANAGEOS_ENV_KEYS[@]}"; do
    if [ "$known" = "$key" ]; then
      printf -v "$key" '%s' "$value"
      export "${key?}"
      return 0
    fi
  done
  echo "$where: unknown key '$key' (known: ${MANAGEOS_ENV_KEYS[*]})" >&2
  return 1
}

# The --build-arg flags for the loaded app, one per line (KEY=value), plus REVISION.
manageos_build_args() {
  local key
  for key in "${MANAGEOS_ENV_KEYS[@]}"; do echo "$key=${!key:-}"; done
  echo "REVISION=${1:-unknown}"
}

# <registry>/<image>:<tag>; the registry is REGISTRY, else gcr.io/<project>, else a local name.
manageos_image_ref() {
  local tag="$1" registry="${REGISTRY:-}"
  if [ -z "$registry" ] && [ -n "${PROJECT_ID:-}" ]; then registry="gcr.io/$PROJECT_ID"; fi
  if [ -z "$registry" ]; then registry="localhost"; fi
  echo "$registry/$IMAGE:$tag"
}

# The first usable container builder: docker (with a reachable daemon), podman, buildah.
manageos_detect_builder() {
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then echo docker; return 0; fi
  if command -v podman >/dev/null 2>&1; then echo podman; return 0; fi
  if command -v buildah >/dev/null 2>&1; then echo buildah; return 0; fi
  echo "no container builder found: install docker (with a running daemon), podman or buildah, or pass --no-image to build the bundle only" >&2
  return 1
}

# Prints, NUL-separated, the command that builds the image with BUILDER from CONTEXT.
manageos_build_command() {
  local builder="$1" context="$2" ref="$3" revision="$4" arg
  case "$builder" in
    docker) printf '%s\0' docker build ;;
    # The docker format keeps HEALTHCHECK, which the OCI image format has no field for.
    podman) printf '%s\0' podman build --format docker ;;
    # Layers are cached unless BUILDAH_LAYERS=false (one-off builds on the vfs driver skip the big commits).
    buildah) printf '%s\0' buildah bud "--layers=${BUILDAH_LAYERS:-true}" --format docker ;;
    *) echo "unknown builder '$builder' (docker, podman or buildah)" >&2; return 1 ;;
  esac
  printf '%s\0' -f "$context/deploy/Dockerfile" -t "$ref"
  while IFS= read -r arg; do printf '%s\0' --build-arg "$arg"; done < <(manageos_build_args "$revision")
  printf '%s\0' "$context"
}

# Copies the sources into DEST as the image build context: the files git knows (tracked and
# untracked, not ignored) or, outside a git checkout, everything but node_modules, dist and .turbo.
manageos_stage_context() {
  local dest="$1"
  mkdir -p "$dest"
  if git -C "$MANAGEOS_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$MANAGEOS_ROOT" && git ls-files -z -co --exclude-standard \
      | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
      | tar --null -T - -cf -) | tar -xf - -C "$dest"
  else
    tar -C "$MANAGEOS_ROOT" --exclude=node_modules --exclude=dist --exclude=.turbo --exclude=.git \
      --exclude=.manageos --exclude=test-results.json -cf - . | tar -xf - -C "$dest"
  fi
}

# The commit the build is of: the short sha, "-dirty" when the work tree differs; "local" outside git.
manageos_revision() {
  local sha
  sha="$(git -C "$MANAGEOS_ROOT" rev-parse --short=7 HEAD 2>/dev/null)" || { echo local; return 0; }
  if [ -n "$(git -C "$MANAGEOS_ROOT" status --porcelain 2>/dev/null)" ]; then sha="$sha-dirty"; fi
  echo "$sha"
}
