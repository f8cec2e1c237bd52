#!/usr/bin/env bash
# Builds tools/bench/llamacpp_client.c against a prebuilt llama.cpp (CPU) and prints the binary's path.
#
# usage: tools/bench/build_llamacpp_client.sh
#   LLAMACPP_HOME   where llama.cpp lives, outside this repository (default $HOME/.cache/sorted-llama/llamacpp).
#                   When its node_modules lack the prebuilt libraries, npm installs node-llama-cpp and
#                   @node-llama-cpp/linux-x64 there (version LLAMACPP_NPM_VERSION, default 3.22.1); the
#                   headers come from LLAMACPP_HOME/src, else from the llama.cpp release bundled in the
#                   npm package (git clone of node_modules/node-llama-cpp/llama/gitRelease.bundle into src).
#                   An existing install such as /opt/llamacpp is used as it is.
#   LLAMACPP_CLIENT_DIR  where the binary goes (default $HOME/.cache/sorted-llama/bin).
# Everything is installed and built outside the repository; nothing of llama.cpp is committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
home=${LLAMACPP_HOME:-$HOME/.cache/sorted-llama/llamacpp}
version=${LLAMACPP_NPM_VERSION:-3.22.1}
out_dir=${LLAMACPP_CLIENT_DIR:-$HOME/.cache/sorted-llama/bin}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x64 ;;
  Linux-aarch64) platform=linux-arm64 ;;
  *) echo "build_llamacpp_client: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 2 ;;
esac
lib_dir="$home/node_modules/@node-llama-cpp/$platform/bins/$platform"

if ! ls "$lib_dir"/libllama*.so >/dev/null 2>&1; then
  command -v npm >/dev/null || { echo "build_llamacpp_client: npm is needed to install llama.cpp" >&2; exit 2; }
  echo "build_llamacpp_client: installing node-llama-cpp@$version into $home" >&2
  mkdir -p "$home"
  [ -f "$home/package.json" ] || echo '{"private": true}' > "$home/package.json"
  # --ignore-scripts: only the prebuilt binaries are wanted, not node-llama-cpp's own build step.
  (cd "$home" && npm install --no-audit --no-fund --ignore-scripts \
      "node-llama-cpp@$version" "@node-llama-cpp/$platform@$version" >&2)
fi
ls "$lib_dir"/libllama*.so >/dev/null 2>&1 || { echo "build_llamacpp_client: no libllama in $lib_dir" >&2; exit 1; }

inc_src="$home/src"
if [ ! -f "$inc_src/include/llama.h" ]; then
  bundle="$home/node_modules/node-llama-cpp/llama/gitRelease.bundle"
  [ -f "$bundle" ] || { echo "build_llamacpp_client: no headers: neither $inc_src/include/llama.h nor $bundle" >&2; exit 1; }
  echo "build_llamacpp_client: unpacking llama.cpp's headers from $bundle" >&2
  rm -rf "$inc_src.tmp"
  git -c advice.detachedHead=false clone -q "$bundle" "$inc_src.tmp" >&2
  mv "$inc_src.tmp" "$inc_src"
fi

# The shared libraries, by their versioned file names (libllama.vX.so, libggml.vX.so, libggml-base.so).
llama_so=$(cd "$lib_dir" && ls libllama*.so | grep -v common | head -1)
ggml_so=$(cd "$lib_dir" && ls libggml*.so | grep -v -e base -e cpu -e cuda -e vulkan -e metal | head -1)
[ -n "$llama_so" ] && [ -n "$ggml_so" ] && [ -f "$lib_dir/libggml-base.so" ] \
  || { echo "build_llamacpp_client: missing libllama/libggml/libggml-base in $lib_dir" >&2; exit 1; }

mkdir -p "$out_dir"
bin="$out_dir/llamacpp_client"
stamp="$out_dir/llamacpp_client.libdir"
if [ ! -x "$bin" ] || [ "$here/llamacpp_client.c" -nt "$bin" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lib_dir" ]; then
  gcc -O2 -std=c11 -Wall -Wextra -Wno-unused-parameter \
      -I"$inc_src/include" -I"$inc_src/ggml/include" \
      -o "$bin.tmp" "$here/llamacpp_client.c" \
      -L"$lib_dir" -l:"$llama_so" -l:"$ggml_so" -l:libggml-base.so -Wl,-rpath,"$lib_dir" -ldl -lm >&2
  mv "$bin.tmp" "$bin"
  echo "$lib_dir" > "$stamp"
fi
echo "$bin"
