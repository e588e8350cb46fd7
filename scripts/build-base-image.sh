#!/usr/bin/env bash
# Builds the Docker image nagare/base:latest (also tagged nagare/base:test) from files already on
# this machine, because no registry is reachable: busybox-static (with its applets, /bin/sh is
# busybox ash), the host's bash, nohup, node and npm with their shared libraries, and a passwd/group with
# root and nagare-test (uid 1001). Idempotent: does nothing when both tags exist, unless --force.
set -euo pipefail

IMAGE=nagare/base:latest
TEST_TAG=nagare/base:test
PATH_IN_IMAGE=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) echo "usage: $0 [--force]"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

if [[ $force == 0 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  docker image inspect "$TEST_TAG" >/dev/null 2>&1 || docker tag "$IMAGE" "$TEST_TAG"
  echo "$IMAGE exists (use --force to rebuild)"
  exit 0
fi

busybox_bin=$(command -v busybox || true)
[[ -n $busybox_bin ]] || { echo "busybox not found: apt-get install busybox-static" >&2; exit 1; }
if ldd "$busybox_bin" >/dev/null 2>&1; then
  echo "$busybox_bin is not static: apt-get install busybox-static" >&2; exit 1
fi
bash_bin=$(readlink -f "$(command -v bash)")
node_bin=$(readlink -f "$(command -v node)")
npm_cli=$(readlink -f "$(command -v npm)")          # …/node_modules/npm/bin/npm-cli.js
npm_dir=$(dirname "$(dirname "$npm_cli")")
[[ -f $npm_dir/package.json ]] || { echo "cannot locate npm's package directory from $npm_cli" >&2; exit 1; }

root=$(mktemp -d /tmp/nagare-base-image.XXXXXX)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/sbin,usr/local/lib/node_modules,etc,root,home/nagare-test,proc,sys,dev,var/tmp,tmp}

# busybox and its applets (absolute symlinks so they work from any directory)
cp "$busybox_bin" "$root/bin/busybox"
while read -r applet; do
  [[ -e $root/$applet || -L $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done < <("$root/bin/busybox" --list-full)
ln -sf /bin/busybox "$root/bin/sh"

# copy a dynamic binary's shared libraries (and its loader) at their host paths
copy_libraries() {
  ldd "$1" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

rm -f "$root/bin/bash"
cp "$bash_bin" "$root/bin/bash"
copy_libraries "$bash_bin"

# Debian's busybox-static has no nohup applet; buildspecs use it to start background services.
nohup_bin=$(readlink -f "$(command -v nohup)")
cp "$nohup_bin" "$root/usr/bin/nohup"
copy_libraries "$nohup_bin"

cp "$node_bin" "$root/usr/local/bin/node"
copy_libraries "$node_bin"

cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nagare-test:x:1001:1001:nagare test user:/home/nagare-test:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
nagare-test:x:1001:
nogroup:x:65534:
GROUP
echo "passwd: files" > "$root/etc/nsswitch.conf"
echo "group: files" >> "$root/etc/nsswitch.conf"
chown 1001:1001 "$root/home/nagare-test"
chmod 700 "$root/root"
chmod 1777 "$root/tmp" "$root/var/tmp"

tar --numeric-owner -C "$root" -c . | docker import \
  --change "ENV PATH=$PATH_IN_IMAGE" \
  --change 'CMD ["/bin/sh"]' \
  --message "nagare base image: busybox, bash, node $("$node_bin" --version), npm" \
  - "$IMAGE" >/dev/null
docker tag "$IMAGE" "$TEST_TAG"
echo "built $IMAGE and $TEST_TAG"
