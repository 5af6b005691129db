#!/usr/bin/env bash
# Makes two base images with buildah from this machine alone, for image builds where no
# registry is reachable (the tests, an air-gapped workstation):
#   NODE_REF    this machine's node and npm, /bin/sh and the few tools the Dockerfile's RUN
#               steps use, with their shared libraries; users root and node (uid 1000);
#               the host's CA bundle (NODE_EXTRA_CA_CERTS) so npm reaches the registry as here.
#   NODEOS_REF  the nodeos simulator of packages/testkit bundled into one file, /usr/local/bin/nodeos.
# Then: deploy/local.sh build/eos --builder buildah --set NODE_IMAGE=NODE_REF \
#         --set NODEOS_IMAGE=NODEOS_REF --set NODEOS_PATH=/usr/local/bin/nodeos
# buildah honours STORAGE_DRIVER (vfs here) and CONTAINERS_STORAGE_CONF.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
node_ref="${1:?usage: local-bases.sh NODE_REF NODEOS_REF}"
nodeos_ref="${2:?usage: local-bases.sh NODE_REF NODEOS_REF}"
sim="$root/packages/testkit/dist/nodeos-sim.js"
[ -f "$sim" ] || { echo "missing $sim: build packages/testkit first" >&2; exit 1; }
command -v buildah >/dev/null || { echo "buildah is not installed" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/manageos-bases.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Copies binaries and every shared library they load into the rootfs, at the same paths.
copy_with_libs() {
  local rootfs="$1" bin lib
  shift
  for bin in "$@"; do
    mkdir -p "$rootfs$(dirname "$bin")"
    cp -L "$bin" "$rootfs$bin"
    for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' || true); do
      [ -e "$rootfs$lib" ] || { mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; }
    done
  done
}

rootfs="$work/node"
mkdir -p "$rootfs"/{usr/bin,usr/lib,etc,root,home/node,tmp,etc/ssl/certs}
chmod 1777 "$rootfs/tmp"
tools=()
for tool in node dash env mkdir chown chmod ln rm cp mv cat ls id true false uname sed grep tar find head tail sleep test; do
  path="$(type -P "$tool")" || { echo "this machine lacks $tool" >&2; exit 1; }
  tools+=("$(readlink -f "$path")")
done
copy_with_libs "$rootfs" "${tools[@]}"
# node may live outside /usr/bin (the pinned build of scripts/node-runtime.sh): the image has it on PATH.
node_bin="$(readlink -f "$(type -P node)")"
if [ "$node_bin" != /usr/bin/node ]; then
  mv "$rootfs$node_bin" "$rootfs/usr/bin/node"
fi
# The whole C and C++ runtime, as a Debian base has it: native npm modules (rollup, esbuild) load more than node does.
if command -v dpkg >/dev/null; then
  for lib in $(dpkg -L libc6 libstdc++6 libgcc-s1 2>/dev/null | grep -E '\.so(\.[0-9.]+)?$' || true); do
    [ -f "$lib" ] && [ ! -e "$rootfs$lib" ] && { mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"; }
  done
fi
# Merged /usr as in Debian: /bin/sh, /usr/bin/env and /lib64/ld-linux-*.so all resolve.
for dir in bin lib lib64; do
  if [ -d "$rootfs/$dir" ] && [ ! -L "$rootfs/$dir" ]; then
    mkdir -p "$rootfs/usr/$dir" && cp -a "$rootfs/$dir/." "$rootfs/usr/$dir/" && rm -rf "${rootfs:?}/$dir"
  fi
  ln -s "usr/$dir" "$rootfs/$dir"
done
ln -sf dash "$rootfs/usr/bin/sh"
cp -a "$(dirname "$(readlink -f "$(command -v npm)")")/.." "$rootfs/usr/lib/node_modules-npm"
mkdir -p "$rootfs/usr/lib/node_modules" && mv "$rootfs/usr/lib/node_modules-npm" "$rootfs/usr/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/bin/npx"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
chown 1000:1000 "$rootfs/home/node"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"; fi

ctr="$(buildah from scratch)"
mnt="$(buildah mount "$ctr")"
cp -a "$rootfs/." "$mnt/"
buildah umount "$ctr" >/dev/null
buildah config --env PATH=/usr/local/bin:/usr/bin --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
  --cmd node "$ctr"
buildah commit --quiet --rm "$ctr" "$node_ref" >/dev/null

# The simulator imports npm packages: bundle it into one file that runs with node alone. The
# cloud clients it inlines with @manageos/core but never calls read files beside their own
# sources at load time, so they become empty modules.
mkdir -p "$work/nodeos/usr/local/bin"
echo 'module.exports = {};' >"$work/unused.cjs"
"$root/node_modules/.bin/esbuild" "$sim" --bundle --platform=node --format=esm --target=node24 \
  --outfile="$work/nodeos/usr/local/bin/nodeos" --log-level=error \
  --alias:etcd3="$work/unused.cjs" --alias:@google-cloud/storage="$work/unused.cjs" \
  --alias:@kubernetes/client-node="$work/unused.cjs" \
  --banner:js='import { createRequire as __manageosRequire } from "node:module"; const require = __manageosRequire(import.meta.url);'
# Extensionless files run as ES modules only with a shebang and module detection (node >= 20.19).
sed -i '1{/^#!/d}' "$work/nodeos/usr/local/bin/nodeos"
sed -i '1i #!/usr/bin/env node' "$work/nodeos/usr/local/bin/nodeos"
chmod 755 "$work/nodeos/usr/local/bin/nodeos"
ctr="$(buildah from scratch)"
mnt="$(buildah mount "$ctr")"
cp -a "$work/nodeos/." "$mnt/"
buildah umount "$ctr" >/dev/null
buildah commit --quiet --rm "$ctr" "$nodeos_ref" >/dev/null
echo "$node_ref $nodeos_ref"
